import type { BigIntStats } from 'node:fs';
import { lstat, opendir, realpath } from 'node:fs/promises';
import { isVanishedOrForbidden } from './fs-errors.js';
import { fsPath, nameFromBytes } from './names.js';
import { DEFAULT_WORKSPACE_LIMITS } from './types.js';
import type { EntryKind, FileEntry, Snapshot, WorkspaceLimits } from './types.js';

/** A directory waiting to be read, with the identity it had when the walk decided to enter it. */
interface PendingDir {
  rel: string;
  dev: bigint;
  ino: bigint;
}

// lstat calls in flight at once: enough to hide syscall latency, few enough not to hog libuv's pool.
const LSTAT_BATCH = 32;

/** Records every non-directory entry under `root` without following a symlink; bounded by `maxWalkEntries`. */
export async function takeSnapshot(
  root: string,
  limits: Pick<WorkspaceLimits, 'maxWalkEntries'> = DEFAULT_WORKSPACE_LIMITS,
): Promise<Snapshot> {
  // Only the root itself may be reached through a link (e.g. /tmp -> /private/tmp on macOS).
  const realRoot = await realpath(root);
  const rootStats = await lstat(realRoot, { bigint: true });
  const entries = new Map<string, FileEntry>();
  const pending: PendingDir[] = [{ rel: '', dev: rootStats.dev, ino: rootStats.ino }];
  let budget = limits.maxWalkEntries;
  let truncated = false;

  while (!truncated) {
    const dir = pending.pop();
    if (!dir) break;
    const abs = fsPath(realRoot, dir.rel);
    // One name past the budget tells "exactly full" apart from "there was more".
    let names = await readNames(abs, budget + 1);
    if (!(await isSameDirectory(abs, dir))) continue;
    if (names.length > budget) {
      truncated = true;
      names = names.slice(0, budget);
    }
    budget -= names.length;

    const rels = names.map((name) => (dir.rel === '' ? name : `${dir.rel}/${name}`));
    for (let i = 0; i < rels.length; i += LSTAT_BATCH) {
      const batch = rels.slice(i, i + LSTAT_BATCH);
      const stats = await Promise.all(batch.map((rel) => lstatOrNull(fsPath(realRoot, rel))));
      batch.forEach((rel, j) => {
        const s = stats[j];
        if (!s) return;
        if (s.isDirectory()) pending.push({ rel, dev: s.dev, ino: s.ino });
        else entries.set(rel, toEntry(rel, s));
      });
    }
  }
  return { entries, truncated };
}

/**
 * The entries at some paths of a workspace, as a walk would have recorded them (paths that are gone
 * or are directories are left out): the fast path when git already said what changed.
 * @example const snap = await snapshotOf(workspace, ['src/a.ts']);
 */
export async function snapshotOf(root: string, rels: string[]): Promise<Snapshot> {
  const realRoot = await realpath(root);
  const entries = new Map<string, FileEntry>();
  for (let i = 0; i < rels.length; i += LSTAT_BATCH) {
    const batch = rels.slice(i, i + LSTAT_BATCH);
    const stats = await Promise.all(batch.map((rel) => lstatOrNull(fsPath(realRoot, rel))));
    batch.forEach((rel, j) => {
      const s = stats[j];
      if (s && !s.isDirectory()) entries.set(rel, toEntry(rel, s));
    });
  }
  return { entries, truncated: false };
}

/** Up to `max` names in a directory; none if it cannot be read (the walk steps over it). */
async function readNames(dir: string | Buffer, max: number): Promise<string[]> {
  const names: string[] = [];
  try {
    // Iterating (not readdir) keeps a directory of millions of names from being read in full.
    // Bytes, not strings: a name that is not UTF-8 would otherwise come back altered and vanish.
    // (@types/node types Dir as strings only; with this encoding Node hands out Buffers.)
    for await (const dirent of await opendir(dir as string, { encoding: 'buffer' as BufferEncoding })) {
      names.push(nameFromBytes(dirent.name as unknown as Buffer));
      if (names.length >= max) break;
    }
  } catch (err) {
    if (isVanishedOrForbidden(err)) return [];
    throw err;
  }
  return names;
}

// opendir follows links, so a directory swapped for a symlink after its lstat would be read through
// the link. Re-checking its identity after the read drops the common case; openWorkspaceFile is the
// guard that holds against a swap-and-swap-back race.
async function isSameDirectory(abs: string | Buffer, expected: PendingDir): Promise<boolean> {
  const now = await lstatOrNull(abs);
  return now !== null && now.isDirectory() && now.dev === expected.dev && now.ino === expected.ino;
}

async function lstatOrNull(abs: string | Buffer): Promise<BigIntStats | null> {
  try {
    return await lstat(abs, { bigint: true });
  } catch (err) {
    if (isVanishedOrForbidden(err)) return null;
    throw err;
  }
}

function kindOf(s: BigIntStats): EntryKind {
  if (s.isFile()) return 'file';
  if (s.isSymbolicLink()) return 'symlink';
  return 'other';
}

function toEntry(rel: string, s: BigIntStats): FileEntry {
  return {
    path: rel,
    kind: kindOf(s),
    size: Number(s.size),
    mtimeNs: s.mtimeNs,
    ctimeNs: s.ctimeNs,
    ino: s.ino,
    dev: s.dev,
    nlink: Number(s.nlink),
  };
}
