/**
 * `GET /sessions/{session_id}/archive`: every file a session stored, as one zip streamed from the
 * artifact store (the local disk, or S3 through `store.readable`). The size is known before the
 * first byte from the file lists, so an archive past the limits is a clean 413, never a cut stream.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { ArtifactStore, LocalArtifactStore } from '../../artifacts/index.js';
import { ArchivesBusyError, PayloadTooLargeError, UnavailableError } from '../../errors/index.js';
import { error, FORBIDDEN, throttled } from '../../http/openapi-responses.js';
import { SESSION_ID, SESSION_NOT_FOUND, SessionParams } from '../../http/session-params.js';
import type { CallerEnv } from '../../runtime/index.js';
import type { UploadedFile } from '../../schemas/index.js';
import type { SessionRepo } from '../../sessions/index.js';
import { contentDisposition, uniqueEntryNames } from './archive-names.js';
import { ARCHIVE_IDLE_MS, zipStream, type OpenedEntry } from './archive-stream.js';
import { ownerOf, visibleSession } from './owner.js';

/** Most files and bytes one archive holds; past either, the caller downloads files one by one. */
export const ARCHIVE_MAX_FILES = 10_000;
export const ARCHIVE_MAX_BYTES = 1024 * 1024 * 1024;
/** Most archives one key downloads at once: each holds a file or a pooled S3 socket while it streams. */
export const ARCHIVE_MAX_PER_KEY = 2;
/** The Retry-After of a key already at ARCHIVE_MAX_PER_KEY downloads (s). */
const ARCHIVE_RETRY_AFTER_S = 10;

/** The declaration of `GET /sessions/{session_id}/archive`. */
export const sessionArchiveRoute = createRoute({
  method: 'get',
  path: '/sessions/{session_id}/archive',
  operationId: 'downloadSessionArchive',
  tags: ['Sessions'],
  summary: "Download a session's files as one zip",
  description:
    'Every file the invocations of the session stored, at its path in the workspace (a path stored again by a later invocation holds its latest version), streamed as a zip. ' +
    `At most ${ARCHIVE_MAX_FILES} files and ${ARCHIVE_MAX_BYTES / 1024 ** 3} GiB: past that the answer is 413, and \`GET /sessions/{session_id}/files\` lists each file with its download link. ` +
    'Entry names are the paths made safe for any unzip tool (no `..`, no absolute path or drive letter, `/` separators); two paths that meet once made safe stay two entries, the second named `name (2).ext`. ' +
    `A key downloads at most ${ARCHIVE_MAX_PER_KEY} archives at once (another one is 429 \`archives_busy\` until one ends), and a download whose client reads nothing for ${ARCHIVE_IDLE_MS / 1000} s is cut. ` +
    'Files the retention period already deleted are left out; a store read that fails mid-way (the status is sent by then) cuts the download, so a zip that arrives whole holds every file. ' +
    '`HEAD` answers the same status and headers without reading any file. Served by `cca serve` (not by the API on AWS, where each file has its own link).',
  request: { params: SessionParams },
  responses: {
    200: {
      description: 'The zip, named `<session_id>.zip`; a session with no stored files gives an empty zip.',
      content: { 'application/zip': { schema: z.string().meta({ format: 'binary' }) } },
    },
    403: FORBIDDEN,
    404: SESSION_NOT_FOUND,
    413: error('The session stored more files or bytes than one archive holds.', {
      message: `Session ${SESSION_ID} stored 12000 files (3.2 GB), more than one archive holds (${ARCHIVE_MAX_FILES} files, 1 GiB). Download the files one by one: GET /sessions/${SESSION_ID}/files lists them with their links.`,
      code: 'payload_too_large',
    }),
    429: throttled(
      `Over the rate limit or the daily quota of the key (the API Gateway bodies), or the key already downloads ${ARCHIVE_MAX_PER_KEY} archives (\`archives_busy\`).`,
      {
        archives_busy: {
          summary: 'The key already downloads as many archives as it may',
          value: { message: busyMessage(ARCHIVE_MAX_PER_KEY), code: 'archives_busy', retry_after_s: ARCHIVE_RETRY_AFTER_S },
        },
      },
    ),
  },
});

/** What the archive route needs. */
export interface SessionArchiveDeps {
  sessions: SessionRepo;
  store: ArtifactStore;
  /** The local store (files read from disk); undefined with S3 (read through `store.readable`). */
  local?: LocalArtifactStore | undefined;
  auth: MiddlewareHandler<CallerEnv>;
  /** Limits of one archive; default ARCHIVE_MAX_FILES and ARCHIVE_MAX_BYTES. */
  limits?: { files: number; bytes: number };
  /** Most archives of one key at once (default ARCHIVE_MAX_PER_KEY) and the watchdog's idle time (default ARCHIVE_IDLE_MS). */
  archive?: { maxPerKey?: number; idleMs?: number };
}

/** Serves `GET /sessions/{session_id}/archive` on `app`. */
export function serveSessionArchive(app: OpenAPIHono<CallerEnv>, deps: SessionArchiveDeps): void {
  const { sessions, auth } = deps;
  const limits = deps.limits ?? { files: ARCHIVE_MAX_FILES, bytes: ARCHIVE_MAX_BYTES };
  const maxPerKey = deps.archive?.maxPerKey ?? ARCHIVE_MAX_PER_KEY;
  const idleMs = deps.archive?.idleMs ?? ARCHIVE_IDLE_MS;
  /** Archives streaming now, by key: freed when the zip stream closes (whole, failed, cut or idle). */
  const streaming = new Map<string, number>();
  app.openapi({ ...sessionArchiveRoute, middleware: [auth] }, async (c) => {
    const sessionId = c.req.valid('param').session_id;
    const owner = ownerOf(c);
    visibleSession(sessions, sessionId, owner);
    const files = latestByPath(sessions, sessionId, limits.files + 1);
    const bytes = files.reduce((sum, f) => sum + f.size, 0);
    if (files.length > limits.files || bytes > limits.bytes) throw tooLarge(sessionId, files.length, bytes, limits);
    const openStored = opener(deps);
    const headers = {
      'content-type': 'application/zip',
      'content-disposition': contentDisposition(`${sessionId}.zip`),
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
    };
    // Hono answers HEAD with this handler and drops the body: a zip built for nobody would keep
    // its first file open forever, so HEAD gets the headers and opens nothing.
    if (c.req.method === 'HEAD') return new Response(null, { status: 200, headers }) as never;
    const running = streaming.get(owner) ?? 0;
    if (running >= maxPerKey) throw new ArchivesBusyError(busyMessage(maxPerKey), ARCHIVE_RETRY_AFTER_S);
    const names = uniqueEntryNames(files.map((f) => f.file_name));
    const entries = files.map((file) => ({ name: names.get(file.file_name)!, open: (signal: AbortSignal) => openStored(file, signal) }));
    const zip = zipStream(entries, c.req.raw.signal, idleMs);
    // Taken and freed around the stream's life: nothing can throw between here and the return.
    streaming.set(owner, running + 1);
    zip.once('close', () => {
      const left = (streaming.get(owner) ?? 1) - 1;
      if (left > 0) streaming.set(owner, left);
      else streaming.delete(owner);
    });
    const body = Readable.toWeb(zip) as ReadableStream<Uint8Array>;
    return new Response(body, { status: 200, headers }) as never;
  });
}

/**
 * Opens stored files: from disk (local store: the file is held open from its size to its last
 * byte, so the retention sweep cannot take it mid-way) or S3 (`readable`). A file already gone
 * gives undefined and is left out.
 */
function opener(deps: SessionArchiveDeps): (file: UploadedFile, signal: AbortSignal) => Promise<OpenedEntry | undefined> {
  const { local, store } = deps;
  if (local !== undefined) {
    return async (file) => {
      const found = await local.stat(file.key);
      if (found === undefined) return undefined;
      let handle: FileHandle;
      try {
        // O_NOFOLLOW: stat resolved every link; a link put there since is not followed either.
        handle = await open(found.path, constants.O_RDONLY | constants.O_NOFOLLOW);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      try {
        const { size } = await handle.stat();
        return { size, stream: handle.createReadStream() };
      } catch (err) {
        await handle.close();
        throw err;
      }
    };
  }
  const readable = store.readable;
  if (readable === undefined) throw new UnavailableError('This artifact store cannot be read back; download the files one by one.');
  return async (file, signal) => {
    try {
      return { size: file.size, stream: await readable.get(file.key, signal) };
    } catch (err) {
      if ((err as Error).cause instanceof Error && ((err as Error).cause as Error).name === 'NoSuchKey') return undefined;
      throw err;
    }
  };
}

/** The session's stored files, the last version of each path, in path order. */
function latestByPath(sessions: SessionRepo, sessionId: string, max: number): UploadedFile[] {
  const byName = new Map<string, UploadedFile>();
  let after = 0;
  // Pages of the index, oldest first: a later invocation's file replaces an earlier one's.
  for (;;) {
    const rows = sessions.files.page({ sessionId }, 'uploaded', 1000, after);
    for (const row of rows) byName.set(row.entry.file_name, row.entry);
    if (rows.length < 1000 || byName.size >= max) break;
    after = rows.at(-1)!.id;
  }
  return [...byName.values()].sort((a, b) => (a.file_name < b.file_name ? -1 : a.file_name > b.file_name ? 1 : 0));
}

function busyMessage(max: number): string {
  return (
    `This API key already downloads ${max} session archives at once, its limit. Wait for one of them to finish ` +
    `(or cancel it), then retry; a download whose client reads nothing for a while is cut and frees its place.`
  );
}

function tooLarge(sessionId: string, files: number, bytes: number, limits: { files: number; bytes: number }): PayloadTooLargeError {
  const count = files > limits.files ? `more than ${limits.files} files` : `${files} files`;
  return new PayloadTooLargeError(
    `Session ${sessionId} stored ${count} (${formatBytes(bytes)}${files > limits.files ? ' and more' : ''}), more than one archive holds (${limits.files} files, ${formatBytes(limits.bytes)}). ` +
      `Download the files one by one: GET /sessions/${sessionId}/files lists them with their links.`,
    { max_files: limits.files, max_bytes: limits.bytes },
  );
}

function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
