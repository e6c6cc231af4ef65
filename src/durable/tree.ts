/**
 * A session's tree as durable state sees it: every directory, regular file and symbolic link under
 * a root, by lstat (no link is followed), names as bytes (workspace/names.ts). Sockets, FIFOs and
 * devices are not state: they are left out.
 */
import type { BigIntStats } from 'node:fs';
import { lstat, opendir, readlink } from 'node:fs/promises';
import { fsPath, nameFromBytes } from '../workspace/index.js';

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
 * Walks `root` (which may not exist: an empty tree), at most `maxEntries` entries.
 * @example const { entries } = await walkTree(dirs.workspace, 1_000_000);
 */
export async function walkTree(root: string, maxEntries: number): Promise<Tree> {
  const entries: TreeEntry[] = [];
  const top = await lstatOrNull(root);
  if (top === null || !top.isDirectory()) return { entries, truncated: false };
  const pending: string[] = [''];
  let truncated = false;
  while (pending.length > 0 && !truncated) {
    const dir = pending.pop() as string;
    const names: string[] = [];
    try {
      for await (const d of await opendir(fsPath(root, dir) as string, { encoding: 'buffer' as BufferEncoding })) {
        names.push(nameFromBytes(d.name as unknown as Buffer));
      }
    } catch (err) {
      if (isGone(err)) continue;
      throw err;
    }
    for (let i = 0; i < names.length; i += BATCH) {
      const rels = names.slice(i, i + BATCH).map((n) => (dir === '' ? n : `${dir}/${n}`));
      const stats = await Promise.all(rels.map((rel) => lstatOrNull(fsPath(root, rel))));
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
          const target = await readlink(fsPath(root, rel) as string, { encoding: 'buffer' }).catch(() => undefined);
          if (target === undefined) continue;
          entry.target = nameFromBytes(target);
        }
        entries.push(entry);
        if (kind === 'd') pending.push(rel);
      }
      if (truncated) break;
    }
  }
  return { entries, truncated };
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
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM';
}
