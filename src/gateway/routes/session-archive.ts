/**
 * `GET /sessions/{session_id}/archive`: every file a session stored, as one zip streamed from the
 * artifact store (the local disk, or S3 through `store.readable`). The size is known before the
 * first byte from the file lists, so an archive past the limits is a clean 413, never a cut stream.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { ZipFile } from 'yazl';
import { z } from 'zod';
import type { ArtifactStore, LocalArtifactStore } from '../../artifacts/index.js';
import { PayloadTooLargeError, UnavailableError } from '../../errors/index.js';
import { error, FORBIDDEN, THROTTLED } from '../../http/openapi-responses.js';
import { SESSION_ID, SESSION_NOT_FOUND, SessionParams } from '../../http/session-params.js';
import type { CallerEnv } from '../../runtime/index.js';
import type { UploadedFile } from '../../schemas/index.js';
import type { SessionRepo } from '../../sessions/index.js';
import { archiveEntryName, contentDisposition } from './archive-names.js';
import { ownerOf, visibleSession } from './owner.js';

/** Most files and bytes one archive holds; past either, the caller downloads files one by one. */
export const ARCHIVE_MAX_FILES = 10_000;
export const ARCHIVE_MAX_BYTES = 1024 * 1024 * 1024;

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
    'Files the retention period already deleted are left out. Served by `cca serve` (not by the API on AWS, where each file has its own link).',
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
    429: THROTTLED,
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
}

/** Serves `GET /sessions/{session_id}/archive` on `app`. */
export function serveSessionArchive(app: OpenAPIHono<CallerEnv>, deps: SessionArchiveDeps): void {
  const { sessions, auth } = deps;
  const limits = deps.limits ?? { files: ARCHIVE_MAX_FILES, bytes: ARCHIVE_MAX_BYTES };
  app.openapi({ ...sessionArchiveRoute, middleware: [auth] }, async (c) => {
    const sessionId = c.req.valid('param').session_id;
    visibleSession(sessions, sessionId, ownerOf(c));
    const files = latestByPath(sessions, sessionId, limits.files + 1);
    const bytes = files.reduce((sum, f) => sum + f.size, 0);
    if (files.length > limits.files || bytes > limits.bytes) throw tooLarge(sessionId, files.length, bytes, limits);
    const open = opener(deps);
    const zip = new ZipFile();
    for (const file of files) {
      const entry = await open(file);
      if (entry === undefined) continue;
      zip.addReadStreamLazy(archiveEntryName(file.file_name), { size: entry.size, mtime: new Date() }, (done) => {
        entry.read(c.req.raw.signal).then(
          (stream) => done(null, stream),
          (err: unknown) => done(err, undefined as never),
        );
      });
    }
    zip.end();
    const output = zip.outputStream as Readable;
    // A file that cannot be read mid-way (S3 down, deleted under us) cuts the download: the
    // status is sent by then. Without this listener the error would crash the service.
    zip.on('error', (err: Error) => output.destroy(err));
    const body = Readable.toWeb(output) as ReadableStream<Uint8Array>;
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': 'application/zip',
        'content-disposition': contentDisposition(`${sessionId}.zip`),
        'cache-control': 'private, no-store',
        'x-content-type-options': 'nosniff',
      },
    }) as never;
  });
}

/** A stored file ready to stream: its size on the store and how to read it. */
interface OpenedFile {
  size: number;
  read(signal: AbortSignal): Promise<Readable>;
}

/** Reads from disk (local store) or S3 (`readable`); a file the retention sweep removed gives undefined. */
function opener(deps: SessionArchiveDeps): (file: UploadedFile) => Promise<OpenedFile | undefined> {
  const { local, store } = deps;
  if (local !== undefined) {
    return async (file) => {
      const found = await local.stat(file.key);
      return found && { size: found.size, read: async () => createReadStream(found.path) };
    };
  }
  const readable = store.readable;
  if (readable === undefined) throw new UnavailableError('This artifact store cannot be read back; download the files one by one.');
  return async (file) => ({ size: file.size, read: (signal) => readable.get(file.key, signal) });
}

/** The session's stored files, the last version of each path, in path order. */
function latestByPath(sessions: SessionRepo, sessionId: string, max: number): UploadedFile[] {
  const byName = new Map<string, UploadedFile>();
  let after = 0;
  // Pages of the index, oldest first: a later invocation's file replaces an earlier one's.
  for (;;) {
    const rows = sessions.files.page({ sessionId }, 'uploaded', 1000, after);
    for (const row of rows) byName.set(archiveEntryName(row.entry.file_name), row.entry);
    if (rows.length < 1000 || byName.size >= max) break;
    after = rows.at(-1)!.id;
  }
  return [...byName.values()].sort((a, b) => (a.file_name < b.file_name ? -1 : a.file_name > b.file_name ? 1 : 0));
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
