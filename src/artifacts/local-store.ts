import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, opendir, readdir, realpath, rename, rm, rmdir, stat } from 'node:fs/promises';
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

/** Where files are written before they are renamed into place: one folder to empty at start-up. */
const STAGING = '.staging';
/** The temp files of releases that wrote them beside their target: `.<uuid>.partial`. */
const LEGACY_PARTIAL = /^\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.partial$/;

/**
 * Embedded default store: files under `<root>/<key>` (folders 0700, files 0600: only the service
 * reads them), downloaded through signed `/files/` links.
 */
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

  /**
   * Writes `body` to a temp file in `<root>/.staging`, checks its size, then renames it into place.
   * A failure removes the temp file; one left by a process that died is removed by `removePartials`.
   */
  async put(key: string, body: Readable, info: { size: number; contentType: string }): Promise<void> {
    let temp: string | undefined;
    // The body may fail before pipeline() listens (the directory is made first): an 'error' with
    // no listener would crash the process. pipeline() still sees the error and rejects with it.
    body.on('error', ignoreHere);
    try {
      const target = this.#pathOf(key);
      const staging = join(this.#root, STAGING);
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      await mkdir(staging, { recursive: true, mode: 0o700 });
      await this.#assertInsideRoot(dirname(target));
      await this.#assertInsideRoot(staging);
      // Under the same root as the target, so rename() is atomic (never across file systems).
      temp = join(staging, `${randomUUID()}.partial`);
      await pipeline(body, createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
      const { size } = await stat(temp);
      if (size !== info.size) throw new Error(`Expected ${info.size} bytes for ${key}, received ${size}`);
      await rename(temp, target);
    } catch (err) {
      // The caller may hold the other end (a file handle): never leave it waiting on us.
      body.destroy();
      // A failed removal must not hide why the put failed; the next start removes what is left.
      if (temp !== undefined) await rm(temp, { force: true }).catch(ignoreHere);
      throw err;
    }
  }

  /** Deletes a stored file (gone already: nothing to do), and its folders left empty up to the root. */
  async delete(key: string): Promise<void> {
    const path = this.#pathOf(key);
    await rm(path, { force: true });
    for (let dir = dirname(path); isInside(this.#root, dir); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break; // Not empty (or gone): the folders above are not empty either.
      }
    }
  }

  /**
   * Removes the temp files of uploads that never finished (the process died mid-write); call at
   * start-up, before any upload. Returns how many it removed. The first start after an upgrade
   * also looks for the `.<uuid>.partial` files that older releases wrote beside their targets.
   * @example const removed = await local.removePartials();
   */
  async removePartials(): Promise<number> {
    const staging = join(this.#root, STAGING);
    let removed = 0;
    let upgraded = false;
    try {
      const names = await readdir(staging);
      await Promise.all(names.map((name) => rm(join(staging, name), { force: true, recursive: true })));
      removed += names.length;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      upgraded = true;
    }
    if (upgraded) removed += await removeLegacyPartials(this.#root);
    await mkdir(staging, { recursive: true, mode: 0o700 });
    return removed;
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

/** Walks the store (never following links) and removes the temp files of older releases. */
async function removeLegacyPartials(dir: string): Promise<number> {
  let removed = 0;
  let handle;
  try {
    handle = await opendir(dir);
  } catch (err) {
    if (MISSING.has((err as NodeJS.ErrnoException).code ?? '')) return 0;
    throw err;
  }
  for await (const entry of handle) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) removed += await removeLegacyPartials(path);
    else if (entry.isFile() && LEGACY_PARTIAL.test(entry.name)) {
      await rm(path, { force: true });
      removed++;
    }
  }
  return removed;
}

/** Errors of a body are reported by pipeline(); this listener only keeps them from being uncaught. */
function ignoreHere(): void {}
