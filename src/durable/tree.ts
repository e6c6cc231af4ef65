/**
 * A session's tree as durable state sees it: every directory, regular file and symbolic link under
 * a root, by lstat (no link is followed), names as bytes (workspace/names.ts). Sockets, FIFOs and
 * devices are not state: they are left out.
 *
 * Every lookup goes through an open directory (`/proc/self/fd/N/name`, which resolves `name` in
 * that very directory, as openat does), and each directory is opened from the root one component at
 * a time with O_NOFOLLOW: a run that swaps a directory for a link while its tree is walked (a
 * checkpoint runs beside it) cannot lead the walk, or a read, out of the tree.
 */
import { constants, type BigIntStats } from 'node:fs';
import { lstat, open, opendir, readlink, realpath, type FileHandle } from 'node:fs/promises';
import { bytesOfName, nameFromBytes } from '../workspace/index.js';

const O_DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * Opens the directory `rel` of the tree at `realRoot`, component by component, never through a link.
 * @example const dir = await openDirAt(root, 'src/app'); try { ... } finally { await dir.close(); }
 */
export async function openDirAt(realRoot: string, rel: string): Promise<FileHandle> {
  let handle = await open(realRoot, O_DIR);
  if (rel === '') return handle;
  for (const part of rel.split('/')) {
    try {
      const next = await open(inDir(handle, part), O_DIR);
      await handle.close();
      handle = next;
    } catch (err) {
      await handle.close();
      throw err;
    }
  }
  return handle;
}

/** The path of `name` inside the open directory `dir` (resolved there, whatever its path is now). */
export function inDir(dir: FileHandle, name: string): Buffer {
  return Buffer.concat([Buffer.from(`/proc/self/fd/${dir.fd}/`), bytesOfName(name)]);
}

/** The tree's root without links (a root reached through one, e.g. /tmp on macOS, is the service's choice). */
export async function realRootOf(root: string): Promise<string> {
  return realpath(root);
}

export type TreeKind = 'f' | 'l' | 'd';

/** One entry of a tree, relative to its root ("a/b.txt"). */
export interface TreeEntry {
  rel: string;
  kind: TreeKind;
  size: number;
  /** Permission bits (the executable bit is what is kept). */
  mode: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  dev: bigint;
  /** A link's target, as bytes-in-a-string. */
  target?: string;
}

export interface Tree {
  entries: TreeEntry[];
  /** The walk stopped at its bound: entries past it are missing. */
  truncated: boolean;
}

const BATCH = 32;

/**
 * Walks `root` (which may not exist: an empty tree), or only its folder `from`, at most `maxEntries` entries.
 * @example const { entries } = await walkTree(dirs.workspace, 1_000_000);
 */
export async function walkTree(root: string, maxEntries: number, from = ''): Promise<Tree> {
  const entries: TreeEntry[] = [];
  const top = await lstatOrNull(root);
  if (top === null || !top.isDirectory()) return { entries, truncated: false };
  const realRoot = await realRootOf(root);
  // `from`: a folder inside the tree to walk alone, reached like every other (never through a link).
  const pending: string[] = [from];
  let truncated = false;
  while (pending.length > 0 && !truncated) {
    const dir = pending.pop() as string;
    let handle: FileHandle;
    try {
      handle = await openDirAt(realRoot, dir);
    } catch (err) {
      if (isGone(err)) continue; // Gone, or no longer a directory (a link now): not walked.
      throw err;
    }
    try {
      truncated = await walkOne(handle, dir, entries, pending, maxEntries);
    } finally {
      await handle.close();
    }
  }
  return { entries, truncated };
}

/** Records the entries of one open directory; true when the bound was reached. */
async function walkOne(handle: FileHandle, dir: string, entries: TreeEntry[], pending: string[], maxEntries: number): Promise<boolean> {
  const names: string[] = [];
  try {
    for await (const d of await opendir(`/proc/self/fd/${handle.fd}`, { encoding: 'buffer' as BufferEncoding })) {
      names.push(nameFromBytes(d.name as unknown as Buffer));
      // One name past the bound is enough to know there was more.
      if (entries.length + names.length > maxEntries) break;
    }
  } catch (err) {
    if (isGone(err)) return false;
    throw err;
  }
  let truncated = false;
  {
    for (let i = 0; i < names.length; i += BATCH) {
      const batch = names.slice(i, i + BATCH);
      const rels = batch.map((n) => (dir === '' ? n : `${dir}/${n}`));
      const stats = await Promise.all(batch.map((name) => lstatOrNull(inDir(handle, name))));
      for (let j = 0; j < rels.length; j++) {
        const s = stats[j];
        const rel = rels[j] as string;
        if (!s) continue;
        const kind: TreeKind | undefined = s.isDirectory() ? 'd' : s.isFile() ? 'f' : s.isSymbolicLink() ? 'l' : undefined;
        if (kind === undefined) continue;
        if (entries.length >= maxEntries) {
          truncated = true;
          break;
        }
        const entry: TreeEntry = {
          rel,
          kind,
          size: kind === 'f' ? Number(s.size) : 0,
          mode: Number(s.mode & 0o7777n),
          mtimeNs: s.mtimeNs,
          ctimeNs: s.ctimeNs,
          ino: s.ino,
          dev: s.dev,
        };
        if (kind === 'l') {
          const target = await readlink(inDir(handle, batch[j] as string), { encoding: 'buffer' }).catch(() => undefined);
          if (target === undefined) continue;
          entry.target = nameFromBytes(target);
        }
        entries.push(entry);
        if (kind === 'd') pending.push(rel);
      }
      if (truncated) break;
    }
  }
  return truncated;
}

/** The identity of a file as a cache key: any write, rename or replacement changes it. */
export function stampOf(e: Pick<TreeEntry, 'size' | 'mtimeNs' | 'ctimeNs' | 'ino'>): string {
  return `${e.size}:${e.mtimeNs}:${e.ctimeNs}:${e.ino}`;
}

async function lstatOrNull(p: string | Buffer): Promise<BigIntStats | null> {
  try {
    return await lstat(p, { bigint: true });
  } catch (err) {
    if (isGone(err)) return null;
    throw err;
  }
}

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  // ELOOP: a directory swapped for a link since it was seen (opened with O_NOFOLLOW): not walked.
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM' || code === 'ELOOP';
}
