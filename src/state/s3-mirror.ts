import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isValidSessionId } from '../workspace/index.js';
import { isMissingObject } from './s3-errors.js';
import { stateKey, type SessionStateRecord, type StateMirror } from './mirror.js';

/** Where the mirror writes: the artifact bucket and its key prefix ('' or 'a/b'). */
export interface S3StateMirrorOptions {
  client: S3Client;
  bucket: string;
  prefix: string;
}

/**
 * Session state as one JSON object per session at `<prefix>/sessions/<id>/state.json`.
 * @example
 * const mirror = new S3StateMirror({ client, bucket: 'my-bucket', prefix: 'cca' });
 * await mirror.put(record);
 * const latest = await mirror.get(record.session_id);
 */
export class S3StateMirror implements StateMirror {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(opts: S3StateMirrorOptions) {
    this.#client = opts.client;
    this.#bucket = opts.bucket;
    this.#prefix = opts.prefix;
  }

  /** Replaces the session's state object (a single PUT: readers see the old or the new record, never a mix). */
  async put(record: SessionStateRecord): Promise<void> {
    // The id becomes part of a key: one with "/" or ".." must never address another object.
    if (!isValidSessionId(record.session_id)) throw new Error(`Invalid session id ${JSON.stringify(record.session_id)}`);
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: stateKey(this.#prefix, record.session_id),
        Body: JSON.stringify(record),
        ContentType: 'application/json',
      }),
    );
  }

  /** The session's latest state, or undefined when none was mirrored (or the id cannot be one). */
  async get(sessionId: string): Promise<SessionStateRecord | undefined> {
    if (!isValidSessionId(sessionId)) return undefined;
    try {
      const res = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: stateKey(this.#prefix, sessionId) }));
      const text = (await res.Body?.transformToString('utf-8')) ?? '';
      return JSON.parse(text) as SessionStateRecord;
    } catch (err) {
      if (isMissingObject(err)) return undefined;
      throw err;
    }
  }
}
