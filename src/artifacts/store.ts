import type { Readable } from 'node:stream';

/** Where a stored file can be fetched; all URLs expire at `expires_at` (ISO 8601). */
export interface ArtifactLinks {
  s3_url: string;
  console_url: string;
  download_url: string;
  expires_at: string;
}

/** A place that keeps the files a run produced: the local disk or S3. */
export interface ArtifactStore {
  readonly kind: 'local' | 's3';
  /** Most bytes a key may have in this store (default MAX_KEY_BYTES); longer names are skipped, not stored. */
  readonly maxKeyBytes?: number;
  /** Stores `body` (exactly `size` bytes) under `key`. Must be atomic: a reader never sees a partial object (local: write to a temp file in the same dir then rename). */
  put(key: string, body: Readable, info: { size: number; contentType: string }): Promise<void>;
  /** Links for a stored key. baseUrl is the public origin of this service, e.g. "http://127.0.0.1:8080". Async where signing is (S3 presigning): always `await` it. */
  links(key: string, baseUrl: string): ArtifactLinks | Promise<ArtifactLinks>;
  /** Deletes a stored key (the retention sweep); a key that is not there is no error. */
  delete(key: string): Promise<void>;
  /** Reading back what callers put in the store (S3 `inputs/`); undefined: this store only writes. */
  readonly readable?: ReadableStore;
}

/** An object found under a prefix: its key (as given to the store, without the store's own prefix) and listed size. */
export interface ListedObject {
  key: string;
  size: number;
}

/** Listing and reading a store's objects (keys relative to the store's prefix, as `put` takes them). */
export interface ReadableStore {
  /** The objects whose keys start with `prefix`, in key order; at most `max` of them. */
  list(prefix: string, max: number): AsyncIterable<ListedObject>;
  /** The bytes of one object, streamed. */
  get(key: string, signal?: AbortSignal): Promise<Readable>;
}
