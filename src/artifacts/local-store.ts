import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { encodeKey, keySegments } from './keys.js';
import type { UrlSigner } from './signer.js';
import type { ArtifactLinks, ArtifactStore } from './store.js';

/** Options of the local store; `now` returns milliseconds and exists for tests. */
export interface LocalArtifactStoreOptions {
  root: string;
  signer: UrlSigner;
  expiresInSeconds: number;
  now?: () => number;
}

// Errors that mean "there is no such stored file" rather than a broken disk.
const MISSING = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG']);

/** Embedded default store: files under `<root>/<key>`, downloaded through signed `/files/` links. */
export class LocalArtifactStore implements ArtifactStore {
  readonly kind = 'local';
  readonly #root: string;
  readonly #signer: UrlSigner;
  readonly #expiresInSeconds: number;
  readonly #now: () => number;

  constructor(opts: LocalArtifactStoreOptions) {
    if (!Number.isSafeInteger(opts.expiresInSeconds) || opts.expiresInSeconds <= 0) {
      throw new Error(`expiresInSeconds must be a positive integer, got ${opts.expiresInSeconds}`);
    }
    this.#root = resolve(opts.root);
    this.#signer = opts.signer;
    this.#expiresInSeconds = opts.expiresInSeconds;
    this.#now = opts.now ?? Date.now;
  }

  /** Writes `body` to a temp file beside the target, checks its size, then renames it into place. */
  async put(key: string, body: Readable, info: { size: number; contentType: string }): Promise<void> {
    let temp: string | undefined;
    // The body may fail before pipeline() listens (the directory is made first): an 'error' with
    // no listener would crash the process. pipeline() still sees the error and rejects with it.
    body.on('error', ignoreHere);
    try {
      const target = this.#pathOf(key);
      await mkdir(dirname(target), { recursive: true });
      await this.#assertInsideRoot(dirname(target));
      // Same directory as the target so rename() is atomic (never across file systems).
      temp = join(dirname(target), `.${randomUUID()}.partial`);
      await pipeline(body, createWriteStream(temp, { flags: 'wx' }));
      const { size } = await stat(temp);
      if (size !== info.size) throw new Error(`Expected ${info.size} bytes for ${key}, received ${size}`);
      await rename(temp, target);
    } catch (err) {
      // The caller may hold the other end (a file handle): never leave it waiting on us.
      body.destroy();
      if (temp !== undefined) await rm(temp, { force: true });
      throw err;
    }
  }

  /** Signed links valid for `expiresInSeconds` from now. */
  links(key: string, baseUrl: string): ArtifactLinks {
    const path = this.#pathOf(key);
    const expires = Math.floor(this.#now() / 1000) + this.#expiresInSeconds;
    const query = `expires=${expires}&signature=${this.#signer.sign(key, expires)}`;
    const downloadUrl = `${baseUrl.replace(/\/+$/, '')}/files/${encodeKey(key)}?${query}`;
    return {
      s3_url: pathToFileURL(path).href,
      console_url: downloadUrl,
      download_url: downloadUrl,
      expires_at: new Date(expires * 1000).toISOString(),
    };
  }

  /** For serving: absolute path and size of a stored key, or undefined. Never follows a symlink out of root. */
  async stat(key: string): Promise<{ path: string; size: number } | undefined> {
    const segments = keySegments(key);
    if (segments === undefined) return undefined;
    try {
      const path = join(this.#root, ...segments);
      // lstat: a symlink is never a stored file, whatever it points at.
      const info = await lstat(path);
      if (!info.isFile()) return undefined;
      // realpath: a symlinked directory on the way must not lead outside the root either.
      const [real, root] = await Promise.all([realpath(path), realpath(this.#root)]);
      if (!isInside(root, real)) return undefined;
      return { path: real, size: info.size };
    } catch (err) {
      if (MISSING.has((err as NodeJS.ErrnoException).code ?? '')) return undefined;
      throw err;
    }
  }

  #pathOf(key: string): string {
    const segments = keySegments(key);
    if (segments === undefined) throw new Error(`Invalid storage key ${JSON.stringify(key)}`);
    return join(this.#root, ...segments);
  }

  async #assertInsideRoot(dir: string): Promise<void> {
    const [real, root] = await Promise.all([realpath(dir), realpath(this.#root)]);
    if (real !== root && !isInside(root, real)) {
      throw new Error(`Refusing to write ${dir}: it resolves outside the artifact root`);
    }
  }
}

function isInside(root: string, path: string): boolean {
  return path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Errors of a body are reported by pipeline(); this listener only keeps them from being uncaught. */
function ignoreHere(): void {}
