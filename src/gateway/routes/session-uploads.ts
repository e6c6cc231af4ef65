/**
 * `POST /sessions/{session_id}/files`: files into a session's workspace before or between
 * invocations (multipart, tar, tar.gz or zip). Uploading to a new session id creates the session
 * for the calling key, so `POST /invoke` with that `session_id` starts with the files.
 */
import { markWorkspaceChanged } from '../../codebase/index.js';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { Config } from '../../config/index.js';
import { ValidationError } from '../../errors/index.js';
import { serveDeclared } from '../../http/index.js';
import { error, FORBIDDEN, json, THROTTLED } from '../../http/openapi-responses.js';
import { diskUsage } from '../../limits/index.js';
import type { ServiceMetrics } from '../../metrics/index.js';
import { assertVisible, type CallerEnv, type InvocationService, type ResourceCaps } from '../../runtime/index.js';
import { UploadResultSchema, type UploadResult } from '../../schemas/index.js';
import type { SessionRepo } from '../../sessions/index.js';
import { uploadBase, uploadLimits, UPLOAD_TYPES, uploadToWorkspace, type FileOwner } from '../../uploads/index.js';
import { isValidSessionId, makeSessionDirs } from '../../workspace/index.js';
import { ownerOf } from './owner.js';
import { SESSION_ID, SESSION_NOT_FOUND, SessionParams } from '../../http/session-params.js';

const binary = { schema: z.string().meta({ format: 'binary' }) };

/** The declaration of `POST /sessions/{session_id}/files`. */
export const uploadFilesRoute = createRoute({
  method: 'post',
  path: '/sessions/{session_id}/files',
  operationId: 'uploadSessionFiles',
  tags: ['Sessions'],
  summary: "Upload files into a session's workspace",
  description:
    'Writes files into the workspace of the session (created for your key if the id is new) while no invocation runs there; the next `POST /invoke` with this `session_id` starts with them. ' +
    'The Content-Type chooses the form: `multipart/form-data` (each file part at its filename, which may hold folders, or at its field name unless that is `file`), ' +
    '`application/gzip` or `application/x-tar` (a tar.gz or tar), `application/zip`. Entries named with `..`, absolute paths, NULs or backslashes are refused (400); links, devices and FIFOs are skipped and listed. ' +
    "An upload is written whole or not at all, and is bounded by CCA_UPLOAD_MAX_MB / CCA_UPLOAD_MAX_FILES (or the key's caps), by the compression ratio, and by the run disk limit.",
  request: {
    params: SessionParams,
    query: z.object({
      path: z.string().optional().meta({ description: 'A folder of the workspace to write under, e.g. `data/`.' }),
    }),
    body: {
      required: true,
      content: {
        'multipart/form-data': { schema: z.object({ file: z.string().meta({ format: 'binary' }) }) },
        'application/gzip': binary,
        'application/x-tar': binary,
        'application/zip': binary,
      },
    },
  },
  responses: {
    201: json('Written: every file with its size, and the entries skipped.', UploadResultSchema, {
      session_id: SESSION_ID,
      files: [
        { path: 'src/app.py', size: 1234 },
        { path: 'README.md', size: 310 },
      ],
      file_count: 2,
      bytes: 1544,
      skipped: [{ path: 'latest', reason: 'symbolic_link' }],
      skipped_count: 1,
    } satisfies UploadResult),
    400: error(
      'An entry is unsafe (`..`, absolute, NUL, a path through a link of the workspace) or the archive is unreadable; nothing was written.',
      {
        message: 'Refused entry "../etc/passwd": the path has a ".." segment. Nothing was written.',
        code: 'invalid_request',
        entry: '../etc/passwd',
        reason: 'the path has a ".." segment',
      },
    ),
    403: FORBIDDEN,
    404: SESSION_NOT_FOUND,
    409: error('An invocation is queued or running in the session (or another upload is).', {
      message: `Session ${SESSION_ID} has an invocation queued or running; upload once it has finished (or cancel it).`,
      code: 'conflict',
    }),
    413: error(
      'Over the upload limits (bytes, files, compression ratio) or the run disk limit; the message says which and how to raise it.',
      {
        message:
          'The upload holds more than 100 MB of files, the most one upload may write. Send fewer or smaller files, or raise the limit: CCA_UPLOAD_MAX_MB on the server, `cca keys update <key-id> --max-upload-mb N` for a key. Nothing was written.',
        code: 'payload_too_large',
        limit: 104857600,
        limit_name: 'upload_bytes',
      },
    ),
    415: error('The Content-Type is not one of the upload forms.', {
      message: `Content-Type "application/json" is not an upload this route takes. Send one of: ${UPLOAD_TYPES.join(', ')}.`,
      code: 'unsupported_media_type',
      accepted: [...UPLOAD_TYPES],
    }),
    429: THROTTLED,
  },
});

/** What the upload route needs. */
export interface SessionUploadsDeps {
  config: Config;
  service: InvocationService;
  sessions: SessionRepo;
  auth: MiddlewareHandler<CallerEnv>;
  /** Who runs execute as (the service runs as root): uploaded files are given to them. */
  runUser?: FileOwner | undefined;
  /** Counts the files and bytes received; undefined: not counted. */
  metrics?: ServiceMetrics | undefined;
}

/** Serves `POST /sessions/{session_id}/files` on `app`. */
export function serveSessionUploads(app: OpenAPIHono<CallerEnv>, deps: SessionUploadsDeps): void {
  const { config, service, sessions, auth } = deps;
  // Served over its declaration: the body is a stream of any of four types, read here as it comes.
  serveDeclared(app, uploadFilesRoute, '/sessions/:session_id/files', auth, async (c) => {
    const sessionId = c.req.param('session_id') ?? '';
    const owner = ownerOf(c);
    if (!isValidSessionId(sessionId)) {
      throw new ValidationError(
        'session_id must be 1-128 characters of letters, digits, ".", "_" or "-", starting with a letter or digit.',
        { field: 'session_id' },
      );
    }
    assertVisible(sessionId, owner, sessions.getSession(sessionId), { mayNotExist: true });
    const base = uploadBase(c.req.query('path'));
    const contentType = c.req.header('content-type') ?? '';
    const body = c.req.raw.body;
    const result = await service.whileIdle(
      sessionId,
      async () => {
        const dirs = await makeSessionDirs(config.sessionsBase, sessionId);
        // Before any file moves in (a move that fails halfway still leaves some): the next invocation's
        // changes are its own, so it records the workspace first.
        await markWorkspaceChanged(dirs.git);
        const used = await diskUsage([dirs.workspace, dirs.home, dirs.tmp], config.limits.maxRunEntries);
        const caps: Partial<ResourceCaps> = c.get('caller')?.caps ?? {};
        const limits = uploadLimits(config.upload, caps, { diskMb: resourcesDiskMb(config, caps.maxDiskMb), usedBytes: used.bytes });
        const stream = body === null ? Readable.from([]) : Readable.fromWeb(body as unknown as WebReadableStream<Uint8Array>);
        const written = await uploadToWorkspace(stream, contentType, base, {
          sessionRoot: dirs.root,
          workspace: dirs.workspace,
          limits,
          owner: deps.runUser,
        });
        // Recorded only once the files are in: a refused upload to a new id leaves no session behind.
        sessions.createSession(sessionId, owner);
        return written;
      },
      owner,
    );
    deps.metrics?.sessionUpload(result.files.length, result.bytes);
    const answer: UploadResult = {
      session_id: sessionId,
      files: result.files,
      file_count: result.files.length,
      bytes: result.bytes,
      skipped: result.skipped as UploadResult['skipped'],
      skipped_count: result.skipped.length,
    };
    return c.json(answer, 201);
  });
}

function resourcesDiskMb(config: Config, keyCap: number | null | undefined): number {
  return keyCap == null ? config.runResources.diskMb : Math.min(config.runResources.diskMb, keyCap);
}
