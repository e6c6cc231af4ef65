/**
 * A zip streamed from stored files, one file open at a time, that never outlives its reader: an
 * entry stream that fails or closes early cuts the download (the status is sent by then), and the
 * request's end (client gone, or the body dropped) closes the file being read and stops the rest,
 * and so does a client that stays connected but reads nothing for `idleMs` (the watchdog): the
 * socket has no write timeout, so without it a stalled reader would hold a file or an S3 socket.
 */
import type { Readable } from 'node:stream';
import { finished } from 'node:stream';
import { ZipFile } from 'yazl';

/** A stored file opened for the archive: its exact size and its bytes. */
export interface OpenedEntry {
  size: number;
  stream: Readable;
}

/** One file of the archive: its entry name and how to open it (undefined: it is gone, left out). */
export interface ArchiveEntry {
  name: string;
  open(signal: AbortSignal): Promise<OpenedEntry | undefined>;
}

/** How long an archive waits for its reader to take a byte before it gives up (ms). */
export const ARCHIVE_IDLE_MS = 60_000;

/**
 * The zip of `entries`, in order, as a Node stream. Each file is opened just before its entry is
 * written, so a file gone by then (the retention sweep) is left out and the zip stays whole; once
 * open, its bytes are read to the end or the archive fails. `signal` (the request's) stops it all,
 * and so do `idleMs` without a byte taken by the reader (a stalled file or S3 read counts too).
 * @example return new Response(Readable.toWeb(zipStream(entries, c.req.raw.signal)))
 */
export function zipStream(entries: readonly ArchiveEntry[], signal: AbortSignal, idleMs = ARCHIVE_IDLE_MS): Readable {
  const zip = new ZipFile();
  const output = zip.outputStream as Readable;
  const stop = new AbortController();
  let current: Readable | undefined;
  /** Ends everything: the open file is closed, and with `err` the reader sees a cut download. */
  const halt = (err?: Error) => {
    if (!stop.signal.aborted) stop.abort(err);
    current?.destroy();
    if (!output.destroyed) output.destroy(err);
  };
  const onAbort = () => halt();
  signal.addEventListener('abort', onAbort, { once: true });
  // yazl reports a size that does not match (a file changed under us), and nothing else, here.
  zip.on('error', (err: Error) => halt(err));
  // The watchdog: 'data' is emitted for every chunk the reader takes, whether it reads in flowing
  // mode (Readable.toWeb) or with read(). Paused first so that listening does not start the flow.
  let lastRead = Date.now();
  output.pause();
  output.on('data', () => void (lastRead = Date.now()));
  const watch = (): void => {
    const idle = Date.now() - lastRead;
    if (idle >= idleMs) return halt(new Error(`The archive's reader took nothing for ${idleMs} ms; the download was cut.`));
    timer = setTimeout(watch, idleMs - idle);
    timer.unref();
  };
  let timer = setTimeout(watch, idleMs);
  timer.unref();
  // Closed after the last byte or destroyed by the reader going away: either way nothing is left open.
  output.once('close', () => {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    halt();
  });
  if (signal.aborted) halt();
  else void pump();
  return output;

  async function pump(): Promise<void> {
    for (const [i, entry] of entries.entries()) {
      let opened: OpenedEntry | undefined;
      try {
        opened = await entry.open(stop.signal);
      } catch (err) {
        return halt(err instanceof Error ? err : new Error(String(err)));
      }
      if (stop.signal.aborted) {
        opened?.stream.destroy();
        return;
      }
      if (opened === undefined) continue;
      const stream = (current = opened.stream);
      // Any error, or a close before the end (a connection cut mid-body), fails the archive; these
      // listeners stay, so a late error is never unhandled.
      const done = new Promise<Error | undefined>((resolve) => finished(stream, (err) => resolve(err ?? undefined)));
      add(zip, stream, entry.name, opened.size, i);
      const err = await done;
      if (err !== undefined) return halt(err);
      if (stop.signal.aborted) return;
    }
    zip.end();
  }
}

/** Adds an entry; a name yazl refuses (archiveEntryName leaves none) takes a plain one instead of failing the archive. */
function add(zip: ZipFile, stream: Readable, name: string, size: number, index: number): void {
  const options = { size, mtime: new Date() };
  try {
    zip.addReadStream(stream, name, options);
  } catch {
    zip.addReadStream(stream, `unnamed-${index + 1}`, options);
  }
}
