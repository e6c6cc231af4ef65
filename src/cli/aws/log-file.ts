/** The local service log (`<data dir>/logs/cca.log`): printed from a time, then followed. */
import fs from 'node:fs';

export interface TailOptions {
  /** Lines before this time (ms) are skipped; lines without a time are printed. */
  sinceMs: number;
  follow: boolean;
  onLine: (line: string) => void;
  sleep: (ms: number) => Promise<void>;
  signal: AbortSignal;
  intervalMs?: number;
  lineTime: (line: string) => number | undefined;
}

/**
 * Prints the file's lines since `sinceMs`; with `follow`, keeps reading what is appended until
 * the signal aborts (a file that shrinks was rotated or truncated: read it from the start).
 * @example await tailFile('/data/logs/cca.log', { sinceMs: Date.now() - 600_000, follow: true, onLine, sleep, signal, lineTime });
 */
export async function tailFile(file: string, opts: TailOptions): Promise<void> {
  let position = 0;
  // Bytes after the last newline: a line still being written (maybe cut inside a UTF-8 character).
  let partial = Buffer.alloc(0);
  let first = true;
  do {
    const size = fileSize(file);
    if (size < position) {
      position = 0;
      partial = Buffer.alloc(0);
    }
    if (size > position) {
      const bytes = Buffer.concat([partial, readRange(file, position, size)]);
      position = size;
      const end = bytes.lastIndexOf(0x0a) + 1;
      partial = bytes.subarray(end);
      for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        const at = first ? opts.lineTime(line) : undefined;
        if (at === undefined || at >= opts.sinceMs) opts.onLine(line);
      }
    }
    first = false;
    if (!opts.follow || opts.signal.aborted) break;
    await opts.sleep(opts.intervalMs ?? 500);
  } while (!opts.signal.aborted);
  if (!opts.follow && partial.toString('utf8').trim() !== '') opts.onLine(partial.toString('utf8'));
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function readRange(file: string, start: number, end: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(end - start);
    const read = fs.readSync(fd, buffer, 0, buffer.length, start);
    return buffer.subarray(0, read);
  } finally {
    fs.closeSync(fd);
  }
}
