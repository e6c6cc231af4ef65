/**
 * The shape of `input_s3_prefix`: `s3://<bucket>/<key prefix>` or a bare `<key prefix>`, a folder
 * of the bucket without `.`, `..` or empty segments, at most S3's 1024 bytes. Whether the storage
 * is S3, the bucket the deployment's own and the prefix below its `inputs/` is decided at admission.
 */
import { ValidationError } from '../errors/index.js';

/** A key prefix to copy from, and the bucket when the request named one. */
export interface InputPrefix {
  bucket: string | undefined;
  /** The object key prefix, always ending in `/` (a folder: `inputs/a` never matches `inputs/ab/...`). */
  key: string;
}

/** S3's limit for an object key. */
const MAX_KEY_BYTES = 1024;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const FIX =
  'Send "s3://<bucket>/inputs/<folder>/" or "inputs/<folder>/", after copying the files there (aws s3 cp --recursive ./dir s3://<bucket>/inputs/<folder>/).';

/**
 * Parses and checks `input_s3_prefix`; throws ValidationError (field `input_s3_prefix`) saying why.
 * @example parseInputPrefix('s3://my-bucket/inputs/job-42') // { bucket: 'my-bucket', key: 'inputs/job-42/' }
 */
export function parseInputPrefix(raw: string): InputPrefix {
  const refuse = (why: string) => new ValidationError(`input_s3_prefix ${why}. ${FIX}`, { field: 'input_s3_prefix' });
  let bucket: string | undefined;
  let key = raw;
  if (raw.startsWith('s3://')) {
    const slash = raw.indexOf('/', 5);
    bucket = raw.slice(5, slash === -1 ? undefined : slash);
    key = slash === -1 ? '' : raw.slice(slash + 1);
    if (!BUCKET.test(bucket)) throw refuse(`names the bucket ${JSON.stringify(bucket)}, which is not a bucket name`);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    throw refuse('must be an s3:// URL or a key prefix');
  }
  if (key.replace(/\/+$/, '') === '') throw refuse('names no folder of the bucket');
  if (/[\0-\x1f\x7f]/.test(key)) throw refuse('contains a control character');
  const folder = key.endsWith('/') ? key : `${key}/`;
  if (Buffer.byteLength(folder) > MAX_KEY_BYTES) throw refuse(`is longer than ${MAX_KEY_BYTES} bytes, the most an S3 key may have`);
  const segments = key.replace(/\/$/, '').split('/');
  if (segments.includes('..')) throw refuse('has a ".." segment');
  if (segments.some((s) => s === '' || s === '.')) throw refuse('has an empty or "." segment (a leading "/" or "//")');
  return { bucket, key: folder };
}
