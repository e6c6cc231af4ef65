/**
 * The two bucket operations the Lambda's session records need, behind a small interface: S3 in
 * production (and against an S3-compatible server in tests), an in-memory map in unit tests.
 * Download links are the runtime's own S3ArtifactStore's business.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

const TORN_READ_ATTEMPTS = 3;

export interface SessionObjects {
  /** The parsed JSON object at `key`, or undefined when there is none. */
  getJson(key: string): Promise<unknown>;
  /** Creates `key` only if it does not exist yet; false when it already did (someone else created it). */
  createJson(key: string, value: unknown): Promise<boolean>;
}

/**
 * SessionObjects on an S3 bucket. `createJson` is a conditional write (`If-None-Match: *`): of two
 * concurrent creators exactly one wins, the other gets 412 and reads the winner's object.
 * @example const objects = s3Objects(new S3Client({ region }), 'my-bucket');
 */
export function s3Objects(s3: S3Client, bucket: string): SessionObjects {
  return {
    async getJson(key) {
      // S3 replaces objects atomically; some S3-compatible servers (s3rver) do not, and a read
      // while the runtime rewrites state.json can see it torn: read again before calling it broken.
      for (let attempt = 1; ; attempt++) {
        let text: string;
        try {
          const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          text = (await res.Body?.transformToString('utf8')) ?? '';
        } catch (err) {
          if (isMissing(err)) return undefined;
          throw err;
        }
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
  };
}

/** The object key of a file under the storage prefix ('' or 'a/b'). */
export function prefixed(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}/${key}`;
}

function isMissing(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  // A missing bucket is a broken deployment, not a session that does not exist.
  return name === 'NoSuchKey' || (statusOf(err) === 404 && name !== 'NoSuchBucket');
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/**
 * SessionObjects in memory (unit tests, local experiments).
 * @example const objects = memoryObjects(); await objects.createJson('a.json', {});
 */
export function memoryObjects(): SessionObjects & { readonly data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    async getJson(key) {
      const text = data.get(key);
      return text === undefined ? undefined : (JSON.parse(text) as unknown);
    },
    async createJson(key, value) {
      if (data.has(key)) return false;
      data.set(key, JSON.stringify(value));
      return true;
    },
  };
}
