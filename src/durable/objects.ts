/**
 * The few object operations durable session state needs, over S3 (or any S3-compatible server) and
 * over a local directory: whole-object get and put, conditional puts (the lease and the head are
 * compare-and-swap), files streamed in and out, and listing. Keys are relative to the store's
 * prefix.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { isMissingObject } from '../state/index.js';

/** An object read whole, with the tag a conditional put compares against. */
export interface StoredObject {
  body: Buffer;
  etag: string;
}

/** Put only if no object has the key (`ifNoneMatch`), or only over the object with this tag (`ifMatch`). */
export type PutCondition = { ifNoneMatch: '*' } | { ifMatch: string };

/** A conditional put found the object other than expected: someone else wrote it first. */
export class PreconditionFailedError extends Error {
  constructor(readonly key: string) {
    super(`The object ${key} changed under a conditional write.`);
    this.name = 'PreconditionFailedError';
  }
}

export interface ObjectStore {
  /** Where the objects are, for messages and logs (`s3://bucket/prefix` or a directory). */
  readonly location: string;
  get(key: string): Promise<StoredObject | undefined>;
  /** Writes the object; returns its tag. Throws PreconditionFailedError when `condition` does not hold. */
  put(key: string, body: Buffer, condition?: PutCondition): Promise<string>;
  /** Uploads a file of `size` bytes (streamed; large ones in parts). */
  putFile(key: string, file: string, size: number): Promise<void>;
  /** Streams the object into `file` (created 0600) and returns the SHA-256 of what was written; undefined when there is no such object. */
  getToFile(key: string, file: string): Promise<string | undefined>;
  /** The keys under a prefix, in no particular order. */
  list(prefix: string): Promise<string[]>;
  deleteMany(keys: string[]): Promise<void>;
}

/** Above this size a file goes up in parts: one PUT of a large file restarts from zero on a fault. */
const MULTIPART_BYTES = 64 * 2 ** 20;

/**
 * Objects in an S3 bucket under a prefix ('' or 'a/b').
 * @example const objects = new S3Objects(client, 'my-bucket', 'cca');
 */
export class S3Objects implements ObjectStore {
  readonly location: string;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {
    this.location = `s3://${bucket}${prefix === '' ? '' : `/${prefix}`}`;
  }

  private full(key: string): string {
    return this.prefix === '' ? key : `${this.prefix}/${key}`;
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
      const body = Buffer.from((await res.Body?.transformToByteArray()) ?? new Uint8Array());
      return { body, etag: res.ETag ?? '' };
    } catch (err) {
      if (isMissingObject(err)) return undefined;
      throw err;
    }
  }

  async put(key: string, body: Buffer, condition?: PutCondition): Promise<string> {
    try {
      const res = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.full(key),
          Body: body,
          ContentLength: body.length,
          ...(condition && 'ifNoneMatch' in condition ? { IfNoneMatch: '*' } : {}),
          ...(condition && 'ifMatch' in condition ? { IfMatch: condition.ifMatch } : {}),
        }),
      );
      return res.ETag ?? '';
    } catch (err) {
      // 412: the condition did not hold; 409: another conditional write of the key is in flight;
      // 404 on If-Match: the object it was to replace is gone. Each means "someone else's turn".
      if (condition !== undefined && [412, 409, 404].includes(statusOf(err))) throw new PreconditionFailedError(key);
      throw err;
    }
  }

  async putFile(key: string, file: string, size: number): Promise<void> {
    if (size < MULTIPART_BYTES) {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.full(key), Body: createReadStream(file), ContentLength: size }),
      );
      return;
    }
    await new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.full(key), Body: createReadStream(file) },
      partSize: 16 * 2 ** 20,
      queueSize: 2,
    }).done();
  }

  async getToFile(key: string, file: string): Promise<string | undefined> {
    let body: Readable;
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
      body = res.Body as Readable;
    } catch (err) {
      if (isMissingObject(err)) return undefined;
      throw err;
    }
    return (await writeHashed(body, file)).sha256;
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    const strip = this.prefix === '' ? 0 : this.prefix.length + 1;
    do {
      const res = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.full(prefix), ContinuationToken: token }),
      );
      for (const o of res.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key.slice(strip));
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys;
  }

  async deleteMany(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((k) => ({ Key: this.full(k) })), Quiet: true },
        }),
      );
    }
  }
}

/**
 * Objects as files under a directory (the embedded store). Conditional puts take a lock file per
 * key, so processes sharing the directory see one write at a time; the tag is the content's hash.
 * @example const objects = new DirObjects('/var/lib/cca/artifacts');
 */
export class DirObjects implements ObjectStore {
  readonly location: string;

  constructor(private readonly root: string) {
    this.location = root;
  }

  private file(key: string): string {
    // Keys are built by this module from checked ids and hashes; a bad one is a bug, not input.
    if (key.split('/').some((part) => part === '' || part === '.' || part === '..')) throw new Error(`Bad object key ${key}`);
    return path.join(this.root, key);
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const body = await fs.readFile(this.file(key));
      return { body, etag: tagOf(body) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async put(key: string, body: Buffer, condition?: PutCondition): Promise<string> {
    const target = this.file(key);
    await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    const write = async () => {
      await writeAtomically(target, body);
      return tagOf(body);
    };
    if (condition === undefined) return write();
    return withLock(`${target}.lock`, async () => {
      const now = await this.get(key);
      const holds = 'ifNoneMatch' in condition ? now === undefined : now?.etag === condition.ifMatch;
      if (!holds) throw new PreconditionFailedError(key);
      return write();
    });
  }

  async putFile(key: string, file: string): Promise<void> {
    const target = this.file(key);
    await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    const temp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.partial`;
    await fs.copyFile(file, temp);
    await fs.rename(temp, target);
  }

  async getToFile(key: string, file: string): Promise<string | undefined> {
    let source: Readable;
    try {
      const handle = await fs.open(this.file(key), 'r');
      source = handle.createReadStream();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return (await writeHashed(source, file)).sha256;
  }

  async list(prefix: string): Promise<string[]> {
    const dir = this.file(prefix.replace(/\/$/, ''));
    let names: string[];
    try {
      names = await fs.readdir(dir, { recursive: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const base = prefix.replace(/\/$/, '');
    const keys: string[] = [];
    for (const name of names) {
      if (name.endsWith('.lock') || name.endsWith('.partial')) continue;
      const stat = await fs.lstat(path.join(dir, name)).catch(() => undefined);
      if (stat?.isFile()) keys.push(`${base}/${name.split(path.sep).join('/')}`);
    }
    return keys;
  }

  async deleteMany(keys: string[]): Promise<void> {
    await Promise.all(keys.map((k) => fs.rm(this.file(k), { force: true })));
  }
}

/**
 * Streams `source` into `file` (created 0600, replaced if there); returns the SHA-256 and the size
 * of the bytes written, which are the bytes hashed.
 * @example const { sha256, size } = await writeHashed(handle.createReadStream(), copy);
 */
export async function writeHashed(source: Readable, file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(
    source,
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    }),
    createWriteStream(file, { mode: 0o600 }),
  );
  return { sha256: hash.digest('hex'), size };
}

async function writeAtomically(target: string, body: Buffer): Promise<void> {
  const temp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.partial`;
  await fs.writeFile(temp, body, { mode: 0o600 });
  await fs.rename(temp, target);
}

function tagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('hex')}"`;
}

/** A lock older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 10_000;

async function withLock<T>(lockFile: string, work: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await fs.open(lockFile, 'wx', 0o600);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await fs.stat(lockFile).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_LOCK_MS) await fs.rm(lockFile, { force: true });
      else if (attempt > 500) throw new Error(`Could not take the lock ${lockFile}`);
      else await new Promise((r) => setTimeout(r, 10));
    }
  }
  try {
    return await work();
  } finally {
    await fs.rm(lockFile, { force: true });
  }
}

function statusOf(err: unknown): number {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode ?? 0;
}
