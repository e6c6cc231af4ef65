import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Transform, pipeline } from 'node:stream';
import type { FailedUpload, UploadedFile } from '../schemas/responses.js';
import { contentTypeFor } from './content-type.js';
import { displayName } from '../workspace/index.js';
import { objectKey } from './keys.js';
import type { ArtifactStore } from './store.js';

/** One file stored by `uploadFiles`, and one it could not store: public API shapes, defined in src/api/schemas.ts. */
export type { FailedUpload, UploadedFile };

/** Options of `uploadFiles`: the key prefix, the public origin for links, and parallelism (default 4). */
export interface UploadOptions {
  prefix: string;
  baseUrl: string;
  concurrency?: number;
  /** Told about each file as soon as it is stored (live `file.stored` events). */
  onStored?: (file: UploadedFile) => void;
}

type Outcome = { ok: true; file: UploadedFile } | { ok: false; file: FailedUpload };

const CHANGED = 'file changed while uploading';

/** Uploads files with bounded parallelism; one failure never stops the others or throws, and results keep input order. */
export async function uploadFiles(
  store: ArtifactStore,
  files: { path: string; size: number }[],
  open: (relPath: string) => Promise<FileHandle>,
  opts: UploadOptions,
): Promise<{ uploaded: UploadedFile[]; failed: FailedUpload[] }> {
  const outcomes: Outcome[] = [];
  // One iterator shared by all workers: each next() hands out the next file exactly once.
  const queue = files.entries();
  const worker = async (): Promise<void> => {
    for (const [index, file] of queue) {
      const outcome = await uploadOne(store, file, open, opts);
      outcomes[index] = outcome;
      if (outcome.ok) opts.onStored?.(outcome.file);
    }
  };
  const requested = opts.concurrency ?? 4;
  // NaN would start no worker at all and silently upload nothing.
  const workers = Math.min(files.length, Number.isNaN(requested) ? 4 : Math.max(1, Math.floor(requested)));
  await Promise.all(Array.from({ length: workers }, worker));

  const uploaded: UploadedFile[] = [];
  const failed: FailedUpload[] = [];
  for (const outcome of outcomes) {
    if (outcome.ok) uploaded.push(outcome.file);
    else failed.push(outcome.file);
  }
  return { uploaded, failed };
}

async function uploadOne(
  store: ArtifactStore,
  file: { path: string; size: number },
  open: (relPath: string) => Promise<FileHandle>,
  opts: UploadOptions,
): Promise<Outcome> {
  const meter = new SizeMeter(file.size);
  // JSON carries no bytes that are not UTF-8: they show as U+FFFD here, and exactly in `key`.
  const fileName = displayName(file.path);
  let key: string | undefined;
  try {
    key = objectKey(opts.prefix, file.path);
    const contentType = contentTypeFor(file.path);
    const handle = await open(file.path);
    try {
      // start: 0 because the caller may have read from the handle while verifying it.
      const source = handle.createReadStream({ start: 0, autoClose: false });
      // Errors reach store.put through `meter`, which pipeline destroys with the cause.
      pipeline(source, meter.stream, () => {});
      await store.put(key, meter.stream, { size: file.size, contentType });
      // A store that resolved without reading everything must not be reported with a digest.
      if (!meter.complete) throw new Error('The artifact store returned before reading the whole file');
      const links = await store.links(key, opts.baseUrl);
      const sha256 = meter.digest();
      return { ok: true, file: { file_name: fileName, key, size: file.size, sha256, content_type: contentType, ...links } };
    } finally {
      meter.stream.destroy();
      // The data is already stored or the failure recorded: a failed close of a read-only handle changes neither.
      await handle.close().catch(() => {});
    }
  } catch (err) {
    const error = meter.changed ? CHANGED : err instanceof Error ? err.message : String(err);
    return { ok: false, file: { file_name: fileName, error, ...(key !== undefined ? { key } : {}) } };
  }
}

// Counts and hashes the bytes on their way to the store, and fails the stream as soon as the
// count cannot match the size the caller verified, so the store never commits such an object.
class SizeMeter {
  readonly stream: Transform;
  changed = false;
  complete = false;
  #bytes = 0;
  readonly #hash = createHash('sha256');

  constructor(expected: number) {
    this.stream = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        this.#bytes += chunk.length;
        if (this.#bytes > expected) return done(this.#changedError());
        this.#hash.update(chunk);
        done(null, chunk);
      },
      flush: (done) => {
        if (this.#bytes !== expected) return done(this.#changedError());
        this.complete = true;
        done();
      },
    });
  }

  digest(): string {
    return this.#hash.digest('hex');
  }

  #changedError(): Error {
    this.changed = true;
    return new Error(CHANGED);
  }
}
