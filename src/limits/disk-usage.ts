/**
 * How much disk a run's directories take: a walk that follows no link, counts each inode once and
 * gives up after `maxEntries`, so a run with millions of files costs a bounded amount of work.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** Bytes on disk (allocated blocks, so sparse files count what they really hold) and entries seen. */
export interface DiskUsage {
  bytes: number;
  entries: number;
  /** False when the walk stopped at `maxEntries`: `bytes` is then a lower bound. */
  complete: boolean;
}

/**
 * Measures `dirs` together.
 * @example const usage = await diskUsage([workspace, home, tmp], 100_000)
 */
export async function diskUsage(dirs: string[], maxEntries: number): Promise<DiskUsage> {
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
    for await (const entry of handle) {
      if (++usage.entries > maxEntries) {
        usage.complete = false;
        return usage; // Leaving the loop closes the handle.
      }
      const file = path.join(dir, entry.name);
      const stat = await fs.lstat(file, { bigint: false }).catch(() => undefined);
      if (stat === undefined) continue;
      const id = `${stat.dev}:${stat.ino}`;
      if (seen.has(id)) continue;
      seen.add(id);
      usage.bytes += stat.blocks * 512;
      if (stat.isDirectory()) pending.push(file);
    }
  }
  return usage;
}
