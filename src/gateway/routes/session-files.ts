/**
 * `GET /sessions/{session_id}/files`: every file a session's invocations stored (or skipped, or
 * failed to store), a page at a time. An invocation's output and `GET /sessions/{session_id}` list
 * only the first entries of each list; this route reads the rest through an index, so a run of
 * 100,000 files costs its readers one page each, not the whole list.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ArtifactStore } from '../../artifacts/index.js';
import type { Config } from '../../config/index.js';
import { NotFoundError, ValidationError } from '../../errors/index.js';
import { error, FORBIDDEN, json, THROTTLED } from '../../http/openapi-responses.js';
import { publicOrigin, type CallerEnv } from '../../runtime/index.js';
import { SessionFilesPageSchema, type SessionFilesPage, type UploadedFile } from '../../schemas/index.js';
import type { SessionRepo } from '../../sessions/index.js';
import type { MiddlewareHandler } from 'hono';
import { ownerOf, visibleSession } from './owner.js';
import { SESSION_ID, SESSION_NOT_FOUND, SessionParams } from '../../http/session-params.js';
import { CURSOR_MESSAGE, FILES_PAGE_LIMIT_MESSAGE, SessionFilesQuery } from '../../http/session-queries.js';

/** The declaration of `GET /sessions/{session_id}/files`. */
export const sessionFilesRoute = createRoute({
  method: 'get',
  path: '/sessions/{session_id}/files',
  operationId: 'listSessionFiles',
  tags: ['Sessions'],
  summary: "Page through a session's files",
  description:
    'Stored files (with fresh download links), skipped entries or failed uploads of the whole session or of one invocation (`invocation_id`), oldest first. Use it when an output or `GET /sessions/{session_id}` says `files_truncated`.',
  request: { params: SessionParams, query: SessionFilesQuery },
  responses: {
    200: json('One page of the list.', SessionFilesPageSchema, {
      session_id: SESSION_ID,
      invocation_id: null,
      kind: 'skipped',
      files: [
        {
          invocation_id: '3f2a9c1e-8d7b-4a6c-b5e4-d3c2b1a09f8e',
          path: 'data/part-01001.csv',
          file_name: 'data/part-01001.csv',
          reason: 'too_many_files',
          detail: '1000 files were already stored for this run, the most one run may store',
        },
      ],
      next_cursor: 'q3Dk2mGfJw0yYw5nC1x8Vw',
    } satisfies SessionFilesPage),
    400: error('`kind`, `limit` or `cursor` is invalid.', { message: FILES_PAGE_LIMIT_MESSAGE, code: 'invalid_request' }),
    403: FORBIDDEN,
    404: SESSION_NOT_FOUND,
    429: THROTTLED,
  },
});

/** What the files route needs. */
export interface SessionFilesDeps {
  config: Config;
  sessions: SessionRepo;
  store: ArtifactStore;
  auth: MiddlewareHandler<CallerEnv>;
  /** Encrypts cursors: a bare row id would tell one key how many files all keys stored. */
  cursorKey: Buffer;
}

/** Serves `GET /sessions/{session_id}/files` on `app`. */
export function serveSessionFiles(app: OpenAPIHono<CallerEnv>, deps: SessionFilesDeps): void {
  const { sessions, store, config, auth, cursorKey } = deps;
  app.openapi({ ...sessionFilesRoute, middleware: [auth] }, async (c) => {
    const sessionId = c.req.valid('param').session_id;
    const { invocation_id: invocationId, kind, limit, cursor } = c.req.valid('query');
    visibleSession(sessions, sessionId, ownerOf(c));
    if (invocationId !== undefined && sessions.getInvocation(invocationId)?.session_id !== sessionId) {
      throw new NotFoundError(`Invocation ${invocationId} was not found in session ${sessionId}.`);
    }
    const where = invocationId === undefined ? { sessionId } : { invocationId };
    const rows = sessions.files.page(where, kind, limit + 1, decodeFilesCursor(cursor, cursorKey));
    const page = rows.slice(0, limit);
    const origin = publicOrigin(config, c.req.url);
    const files = await Promise.all(
      page.map(async (row) => {
        const entry = { ...row.entry, invocation_id: row.invocation_id };
        // Stored links expire: every read gets fresh ones.
        if (kind !== 'uploaded') return entry;
        return { ...entry, ...(await store.links((row.entry as UploadedFile).key, origin)) };
      }),
    );
    const last = page.at(-1);
    const body: SessionFilesPage = {
      session_id: sessionId,
      invocation_id: invocationId ?? null,
      kind,
      files,
      next_cursor: rows.length > limit && last ? encodeFilesCursor(last.id, cursorKey) : null,
    };
    return c.json(body, 200);
  });
}

const CURSOR_MARK = 'cca-file';

/** A row id as one AES block: opaque, and unforgeable without the key (the mark would not decrypt). */
function encodeFilesCursor(id: number, key: Buffer): string {
  const block = Buffer.alloc(16);
  block.write(CURSOR_MARK, 0, 'latin1');
  block.writeBigUInt64BE(BigInt(id), 8);
  const cipher = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]).toString('base64url');
}

function decodeFilesCursor(raw: string | undefined, key: Buffer): number {
  if (raw === undefined) return 0;
  const sealed = Buffer.from(raw, 'base64url');
  if (sealed.length !== 16 || sealed.toString('base64url') !== raw) throw new ValidationError(CURSOR_MESSAGE, { field: 'cursor' });
  const decipher = createDecipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  const block = Buffer.concat([decipher.update(sealed), decipher.final()]);
  if (block.toString('latin1', 0, 8) !== CURSOR_MARK) throw new ValidationError(CURSOR_MESSAGE, { field: 'cursor' });
  return Number(block.readBigUInt64BE(8));
}
