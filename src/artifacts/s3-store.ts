import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import { keyBaseName, keySegments, MAX_KEY_BYTES } from './keys.js';
import type { ArtifactLinks, ArtifactStore, ListedObject, ReadableStore } from './store.js';

/** Options of the S3 store; `now` returns milliseconds and exists for tests. */
export interface S3ArtifactStoreOptions {
  client: S3Client;
  bucket: string;
  /** Prepended to every key: '' or 'a/b' (no leading or trailing slash). */
  prefix: string;
  expiresInSeconds: number;
  /** Only for console links: the client knows its own region. */
  region: string;
  /** Bytes per multipart part (at least 5 MiB); default 8 MiB. */
  partSize?: number;
  /** Parts uploaded at once per file; default 4. */
  queueSize?: number;
  /** Keys per ListObjectsV2 page (S3's most, 1000, by default). */
  listPageSize?: number;
  now?: () => number;
}

const MiB = 1024 * 1024;
// SigV4 refuses presigned URLs valid for longer than a week.
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/**
 * Stores artifacts in an S3 bucket (or any S3-compatible server) under `<prefix>/<key>`; downloads
 * are presigned GET URLs, so they need neither this service nor an API key.
 * @example
 * const store = new S3ArtifactStore({ client: new S3Client({}), bucket: 'my-bucket', prefix: 'cca', expiresInSeconds: 3600, region: 'us-east-1' });
 * await store.put('outputs/20250101_120000_3f2a9c1e/app.py', stream, { size, contentType: 'text/x-python' });
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly kind = 's3';
  /** S3 allows 1024 bytes per object key, and `<prefix>/` comes first. */
  readonly maxKeyBytes: number;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #expiresInSeconds: number;
  readonly #region: string;
  readonly #partSize: number;
  readonly #queueSize: number;
  readonly #listPageSize: number;
  readonly #now: () => number;
  /** Listing and reading objects of the bucket under the store's prefix (callers' `inputs/`). */
  readonly readable: ReadableStore = {
    list: (prefix, max) => this.#list(prefix, max),
    get: (key, signal) => this.#get(key, signal),
  };

  constructor(opts: S3ArtifactStoreOptions) {
    const { expiresInSeconds } = opts;
    if (!Number.isSafeInteger(expiresInSeconds) || expiresInSeconds <= 0 || expiresInSeconds > MAX_PRESIGN_SECONDS) {
      throw new Error(`expiresInSeconds must be an integer from 1 to ${MAX_PRESIGN_SECONDS} (7 days), got ${expiresInSeconds}`);
    }
    if (opts.prefix !== '' && keySegments(opts.prefix) === undefined) {
      throw new Error(`Invalid S3 key prefix ${JSON.stringify(opts.prefix)}: use '' or segments like "a/b"`);
    }
    this.#client = opts.client;
    this.#bucket = opts.bucket;
    this.#prefix = opts.prefix;
    this.maxKeyBytes = MAX_KEY_BYTES - (opts.prefix === '' ? 0 : Buffer.byteLength(opts.prefix) + 1);
    this.#expiresInSeconds = expiresInSeconds;
    this.#region = opts.region;
    this.#partSize = opts.partSize ?? 8 * MiB;
    this.#queueSize = opts.queueSize ?? 4;
    this.#listPageSize = opts.listPageSize ?? 1000;
    this.#now = opts.now ?? Date.now;
  }

  /** The object key a store key is kept under: `<prefix>/<key>`, or `<key>` with no prefix. */
  objectKey(key: string): string {
    if (keySegments(key) === undefined) throw new Error(`Invalid storage key ${JSON.stringify(key)}`);
    return this.#prefix === '' ? key : `${this.#prefix}/${key}`;
  }

  /** Uploads `body` in one PUT, or in parts of `partSize` when larger; S3 shows the object only once complete. */
  async put(key: string, body: Readable, info: { size: number; contentType: string }): Promise<void> {
    try {
      const Key = this.objectKey(key);
      const upload = new Upload({
        client: this.#client,
        params: { Bucket: this.#bucket, Key, Body: body, ContentType: info.contentType, ContentLength: info.size },
        partSize: this.#partSize,
        queueSize: this.#queueSize,
        // A failed multipart upload is aborted, so no orphaned parts are billed.
        leavePartsOnError: false,
      });
      await upload.done();
    } catch (err) {
      // The caller may hold the other end (a file handle): never leave it waiting on us.
      body.destroy();
      throw new Error(`Could not store s3://${this.#bucket}/${this.#prefixed(key)}: ${describe(err)}`, { cause: err });
    }
  }

  /** Deletes an object (S3 answers success for one that is not there). */
  async delete(key: string): Promise<void> {
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.objectKey(key) }));
    } catch (err) {
      throw new Error(`Could not delete s3://${this.#bucket}/${this.#prefixed(key)}: ${describe(err)}`, { cause: err });
    }
  }

  /** s3:// and console URLs, and a presigned GET valid for `expiresInSeconds`; `baseUrl` is not needed. */
  async links(key: string, _baseUrl: string): Promise<ArtifactLinks> {
    const Key = this.objectKey(key);
    // Signed at a whole second, so `expires_at` is exactly when S3 starts refusing the URL.
    const signedAt = Math.floor(this.#now() / 1000) * 1000;
    const command = new GetObjectCommand({
      Bucket: this.#bucket,
      Key,
      ResponseContentDisposition: `attachment; filename*=UTF-8''${encodeRfc5987(keyBaseName(key))}`,
    });
    const downloadUrl = await getSignedUrl(this.#client, command, {
      expiresIn: this.#expiresInSeconds,
      signingDate: new Date(signedAt),
    });
    const query = `region=${encodeURIComponent(this.#region)}&prefix=${encodeURIComponent(Key)}`;
    return {
      s3_url: `s3://${this.#bucket}/${Key}`,
      console_url: `https://s3.console.aws.amazon.com/s3/object/${this.#bucket}?${query}`,
      download_url: downloadUrl,
      expires_at: new Date(signedAt + this.#expiresInSeconds * 1000).toISOString(),
    };
  }

  /** Pages through ListObjectsV2 until the prefix is exhausted or `max` objects were yielded. */
  async *#list(prefix: string, max: number): AsyncGenerator<ListedObject> {
    const Prefix = this.#prefixed(prefix);
    const strip = this.#prefix === '' ? 0 : this.#prefix.length + 1;
    let token: string | undefined;
    let yielded = 0;
    do {
      const page = await this.#client
        .send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix,
            ContinuationToken: token,
            MaxKeys: Math.min(this.#listPageSize, max - yielded),
          }),
        )
        .catch((err: unknown) => {
          throw new Error(`Could not list s3://${this.#bucket}/${Prefix}: ${describe(err)}`, { cause: err });
        });
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || !object.Key.startsWith(Prefix)) continue;
        yield { key: object.Key.slice(strip), size: object.Size ?? 0 };
        if (++yielded >= max) return;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** One object's body as a Node stream. The key is used as S3 has it: listed keys are not checked as storage keys. */
  async #get(key: string, signal?: AbortSignal): Promise<Readable> {
    const Key = this.#prefixed(key);
    try {
      const res = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key }), { abortSignal: signal });
      const body = res.Body;
      if (body instanceof Readable) return body;
      if (body === undefined) return Readable.from([]);
      return Readable.from([Buffer.from(await body.transformToByteArray())]);
    } catch (err) {
      throw new Error(`Could not read s3://${this.#bucket}/${Key}: ${describe(err)}`, { cause: err });
    }
  }

  // For messages only: never throws on a bad key.
  #prefixed(key: string): string {
    return this.#prefix === '' ? key : `${this.#prefix}/${key}`;
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // S3 errors carry their code in `name` (NoSuchBucket, AccessDenied); network errors in `code`.
  const code = (err as NodeJS.ErrnoException).code;
  const tag = err.name !== 'Error' ? err.name : code;
  return tag !== undefined && !err.message.includes(tag) ? `${tag}: ${err.message}` : err.message;
}

/** RFC 5987 value for `filename*`, as the local /files/ route sends it. */
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}
