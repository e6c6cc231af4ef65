import fs from 'node:fs/promises';
import path from 'node:path';

/** Bytes of the regular files under `dir` (links not followed); files that vanish mid-walk count as 0. */
export async function dirSize(dir: string): Promise<number> {
  let total = 0;
  let names: string[];
  try {
    names = await fs.readdir(dir, { recursive: true });
  } catch {
    return 0;
  }
  for (const name of names) {
    const s = await fs.lstat(path.join(dir, name)).catch(() => undefined);
    if (s?.isFile()) total += s.size;
  }
  return total;
}

/**
 * Calls `onOver` once `dir` holds more than `maxBytes`, checking every `everyMs`; returns the stop.
 * @example const stop = watchSize(gitDir, 1e9, 250, () => controller.abort());
 */
export function watchSize(dir: string, maxBytes: number, everyMs: number, onOver: (bytes: number) => void): () => void {
  let stopped = false;
  let busy = false;
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    void dirSize(dir)
      .then((bytes) => {
        if (!stopped && bytes > maxBytes) {
          stopped = true;
          onOver(bytes);
        }
      })
      .finally(() => {
        busy = false;
      });
  }, everyMs);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
