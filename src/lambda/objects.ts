/**
 * The bucket operations the Lambda's routes need, behind a small interface: S3 in production (and
 * against an S3-compatible server in tests), an in-memory map in unit tests. Download links are the
 * runtime's own S3ArtifactStore's business.
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isMissingObject } from '../state/s3-errors.js';

const TORN_READ_ATTEMPTS = 3;

/** What to list: keys under `prefix`, in key order, from after `startAfter` (or a page's `next`). */
export interface ListOptions {
  startAfter?: string | undefined;
  /** At most this many keys and prefixes (S3's MaxKeys; default and ceiling 1000). */
  maxKeys?: number;
  /** Group keys by this character after the prefix: `prefixes` gets one entry per group. */
  delimiter?: string;
  /** `next` of the previous page. */
  token?: string | undefined;
}

/** One page of a listing. */
export interface ListPage {
  keys: string[];
  prefixes: string[];
  /** Pass as `token` for the next page; undefined on the last one. */
  next: string | undefined;
}

export interface SessionObjects {
  /** The parsed JSON object at `key`, or undefined when there is none. */
  getJson(key: string): Promise<unknown>;
  /** The text at `key`, or undefined when there is none. */
  getText(key: string): Promise<string | undefined>;
  /** Creates `key` only if it does not exist yet; false when it already did (someone else created it). */
  createJson(key: string, value: unknown): Promise<boolean>;
  /** Writes `key`, replacing what was there. */
  putJson(key: string, value: unknown): Promise<void>;
  /** Writes `key` as text (JSON lines), replacing what was there. */
  putText(key: string, text: string): Promise<void>;
  /** One page of the keys under a prefix. */
  list(prefix: string, opts?: ListOptions): Promise<ListPage>;
  /** Deletes `key` (nothing happens when there is none). */
  delete(key: string): Promise<void>;
}

/**
 * SessionObjects on an S3 bucket. `createJson` is a conditional write (`If-None-Match: *`): of two
 * concurrent creators exactly one wins, the other gets 412 and reads the winner's object.
 * @example const objects = s3Objects(new S3Client({ region }), 'my-bucket');
 */
export function s3Objects(s3: S3Client, bucket: string): SessionObjects {
  const getText = async (key: string): Promise<string | undefined> => {
    // The SDK retries a request, not the reading of its body: a connection cut mid-body (a long-poll
    // reads many small objects) is read again once before it becomes the caller's 500.
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return (await res.Body?.transformToString('utf8')) ?? '';
      } catch (err) {
        if (isMissingObject(err)) return undefined;
        if (attempt < 3 && isCutShort(err)) continue;
        throw err;
      }
    }
  };

  return {
    getText,
    async getJson(key) {
      // S3 replaces objects atomically; some S3-compatible servers (s3rver) do not, and a read
      // while the runtime rewrites state.json can see it torn: read again before calling it broken.
      for (let attempt = 1; ; attempt++) {
        const text = await getText(key);
        if (text === undefined) return undefined;
        try {
          return JSON.parse(text) as unknown;
        } catch (err) {
          if (attempt >= TORN_READ_ATTEMPTS) throw new Error(`${key} is not valid JSON`, { cause: err });
          await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
        }
      }
    },
    async createJson(key, value) {
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: JSON.stringify(value),
            ContentType: 'application/json',
            IfNoneMatch: '*',
          }),
        );
        return true;
      } catch (err) {
        // 412: it exists. 409: a concurrent conditional write of the same key is in flight.
        if (statusOf(err) === 412 || statusOf(err) === 409) return false;
        throw err;
      }
    },
    async putJson(key, value) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }));
    },
    async putText(key, text) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: 'application/x-ndjson' }));
    },
    async delete(key) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async list(prefix, opts = {}) {
      const res = await s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          ...(opts.startAfter === undefined ? {} : { StartAfter: opts.startAfter }),
          ...(opts.maxKeys === undefined ? {} : { MaxKeys: opts.maxKeys }),
          ...(opts.delimiter === undefined ? {} : { Delimiter: opts.delimiter }),
          ...(opts.token === undefined ? {} : { ContinuationToken: opts.token }),
        }),
      );
      return {
        keys: (res.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key])),
        prefixes: (res.CommonPrefixes ?? []).flatMap((p) => (p.Prefix === undefined ? [] : [p.Prefix])),
        next: res.IsTruncated ? res.NextContinuationToken : undefined,
      };
    },
  };
}

/** The object key of a file under the storage prefix ('' or 'a/b'). */
export function prefixed(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}/${key}`;
}

/**
 * Every key under a prefix, following pages (for lists known to be small: a session's segments
 * or invocations).
 * @example const keys = await listAll(objects, 'sessions/s-1/invocations/');
 */
export async function listAll(objects: SessionObjects, prefix: string, startAfter?: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await objects.list(prefix, { startAfter, token });
    keys.push(...page.keys);
    token = page.next;
  } while (token !== undefined);
  return keys;
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/**
 * SessionObjects in memory (unit tests, local experiments), listing in key order as S3 does.
 * @example const objects = memoryObjects(); await objects.createJson('a.json', {});
 */
export function memoryObjects(): SessionObjects & { readonly data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    async getText(key) {
      return data.get(key);
    },
    async getJson(key) {
      const text = data.get(key);
      return text === undefined ? undefined : (JSON.parse(text) as unknown);
    },
    async createJson(key, value) {
      if (data.has(key)) return false;
      data.set(key, JSON.stringify(value));
      return true;
    },
    async putJson(key, value) {
      data.set(key, JSON.stringify(value));
    },
    async putText(key, text) {
      data.set(key, text);
    },
    async delete(key) {
      data.delete(key);
    },
    async list(prefix, opts = {}) {
      const after = opts.token ?? opts.startAfter ?? '';
      const max = Math.min(opts.maxKeys ?? 1000, 1000);
      const keys: string[] = [];
      const prefixes: string[] = [];
      let last: string | undefined;
      for (const key of [...data.keys()].sort()) {
        if (!key.startsWith(prefix) || key <= after) continue;
        const cut = opts.delimiter === undefined ? -1 : key.indexOf(opts.delimiter, prefix.length);
        if (cut >= 0) {
          const group = key.slice(0, cut + 1);
          if (group <= after || prefixes.includes(group)) continue;
          if (keys.length + prefixes.length >= max) return { keys, prefixes, next: last };
          prefixes.push(group);
          // The whole group is one entry: the next page starts after its last possible key.
          last = `${group}\uffff`;
          continue;
        }
        if (keys.length + prefixes.length >= max) return { keys, prefixes, next: last };
        keys.push(key);
        last = key;
      }
      return { keys, prefixes, next: undefined };
    },
  };
}

/** A connection that ended before the whole answer came (no status: the body was being read). */
function isCutShort(err: unknown): boolean {
  const e = err as { message?: unknown; code?: unknown; $metadata?: unknown } | null;
  return e?.message === 'aborted' || e?.code === 'ECONNRESET' || e?.code === 'EPIPE';
}
