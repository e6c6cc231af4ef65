/**
 * How much disk a run's directories take: a walk that follows no link, counts each inode once and
 * gives up after `maxEntries`, so a run with millions of files costs a bounded amount of work.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Bytes on disk (allocated blocks, so sparse files count what they really hold) and entries seen. */
export interface DiskUsage {
  bytes: number;
  entries: number;
  /** False when the walk stopped at `maxEntries`: `bytes` is then a lower bound. */
  complete: boolean;
}

/**
 * Measures `dirs` together: with `du` (coreutils, in C: a 100,000-file repository in a tenth of a
 * second, where a walk in Node takes seconds), else with a walk of our own.
 * @example const usage = await diskUsage([workspace, home, tmp], 100_000)
 */
export async function diskUsage(dirs: string[], maxEntries: number): Promise<DiskUsage> {
  const present = (
    await Promise.all(
      dirs.map((d) =>
        fs.lstat(d).then(
          (s) => (s.isDirectory() ? d : undefined),
          () => undefined,
        ),
      ),
    )
  ).filter((d): d is string => d !== undefined);
  if (present.length === 0) return { bytes: 0, entries: 0, complete: true };
  const measured = await duUsage(present).catch(() => undefined);
  if (measured === undefined) return walkDiskUsage(present, maxEntries);
  // du counts the directories it was given; the walk does not.
  const entries = Math.max(0, measured.inodes - present.length);
  return { bytes: measured.bytes, entries, complete: entries <= maxEntries };
}

/** `du -s -c` in bytes of allocated blocks and in inodes: links not followed, a hard-linked file counted once. */
async function duUsage(dirs: string[]): Promise<{ bytes: number; inodes: number }> {
  const total = async (flag: string) => {
    const { stdout } = await run('du', ['-s', '-c', flag, '--', ...dirs], {
      env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' },
      maxBuffer: 1 << 20,
    });
    const last = stdout.trimEnd().split('\n').at(-1) ?? '';
    const value = Number(/^(\d+)\ttotal$/.exec(last)?.[1]);
    if (!Number.isFinite(value)) throw new Error(`du printed no total: ${last}`);
    return value;
  };
  const [bytes, inodes] = await Promise.all([total('-B1'), total('--inodes')]);
  return { bytes, inodes };
}

/**
 * The same measure by a walk of our own, bounded by `maxEntries` (where du is missing).
 * @example const usage = await walkDiskUsage([workspace], 100_000)
 */
export async function walkDiskUsage(dirs: string[], maxEntries: number): Promise<DiskUsage> {
  const seen = new Set<string>();
  const usage: DiskUsage = { bytes: 0, entries: 0, complete: true };
  const pending = [...dirs];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    let handle: Awaited<ReturnType<typeof fs.opendir>>;
    try {
      handle = await fs.opendir(dir);
    } catch {
      continue; // Removed meanwhile, or unreadable: the run may delete as it goes.
    }
    let batch: string[] = [];
    for await (const entry of handle) {
      if (++usage.entries > maxEntries) {
        usage.complete = false;
        await count(batch, usage, seen, pending);
        return usage; // Leaving the loop closes the handle.
      }
      batch.push(path.join(dir, entry.name));
      if (batch.length >= LSTAT_BATCH) {
        await count(batch, usage, seen, pending);
        batch = [];
      }
    }
    await count(batch, usage, seen, pending);
  }
  return usage;
}

// lstat calls in flight at once: one at a time spent most of a walk waiting (a 100,000-file
// repository took seconds), and libuv's pool has only a few threads to give.
const LSTAT_BATCH = 64;

async function count(files: string[], usage: DiskUsage, seen: Set<string>, pending: string[]): Promise<void> {
  const stats = await Promise.all(files.map((file) => fs.lstat(file, { bigint: false }).catch(() => undefined)));
  stats.forEach((stat, i) => {
    if (stat === undefined) return;
    const id = `${stat.dev}:${stat.ino}`;
    if (seen.has(id)) return;
    seen.add(id);
    usage.bytes += stat.blocks * 512;
    if (stat.isDirectory()) pending.push(files[i] as string);
  });
}
