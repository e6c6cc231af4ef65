/**
 * `GET /sessions` and `GET /sessions/{session_id}`: the calling key's sessions, newest first, and
 * one session with its invocations and fresh links to their files.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { ArtifactStore } from '../../artifacts/index.js';
import type { Config } from '../../config/index.js';
import { ValidationError } from '../../errors/index.js';
import { EXAMPLE_SESSION_DETAIL, EXAMPLE_SESSION_LIST } from '../../http/index.js';
import { error, FORBIDDEN, json, THROTTLED } from '../../http/openapi-responses.js';
import { publicOrigin, type CallerEnv } from '../../runtime/index.js';
import { SessionDetailSchema, SessionListSchema } from '../../schemas/index.js';
import { toSessionDetail, toSessionSummary, type SessionRepo } from '../../sessions/index.js';
import { ownerOf, visibleSession } from './owner.js';
import { SESSION_NOT_FOUND, SessionParams } from './params.js';

const LIMIT_MESSAGE = 'limit must be an integer from 1 to 100.';
const FILES_LIMIT_MESSAGE = 'files_limit must be an integer from 0 to 1000.';
const CURSOR_MESSAGE = 'cursor is not one this API returned; pass next_cursor from the previous page unchanged.';

/** The declaration of `GET /sessions`. */
export const listSessionsRoute = createRoute({
  method: 'get',
  path: '/sessions',
  operationId: 'listSessions',
  tags: ['Sessions'],
  summary: "List the key's sessions",
  description: 'Newest first, one page at a time.',
  request: {
    query: z.object({
      limit: z.coerce
        .number({ error: LIMIT_MESSAGE })
        .int(LIMIT_MESSAGE)
        .min(1, LIMIT_MESSAGE)
        .max(100, LIMIT_MESSAGE)
        .default(20)
        .meta({ description: 'Sessions per page.' }),
      cursor: z.string({ error: CURSOR_MESSAGE }).optional().meta({ description: '`next_cursor` of the previous page.' }),
    }),
  },
  responses: {
    200: json('One page of sessions.', SessionListSchema, EXAMPLE_SESSION_LIST),
    400: error('`limit` or `cursor` is invalid.', { message: LIMIT_MESSAGE, code: 'invalid_request' }),
    403: FORBIDDEN,
    429: THROTTLED,
  },
});

/** The declaration of `GET /sessions/{session_id}`. */
export const getSessionRoute = createRoute({
  method: 'get',
  path: '/sessions/{session_id}',
  operationId: 'getSession',
  tags: ['Sessions'],
  summary: 'Show a session and its invocations',
  description:
    'Each invocation lists the first `files_limit` entries of its stored files and of its skipped ones, with their totals; `GET /sessions/{session_id}/files` pages through the rest.',
  request: {
    params: SessionParams,
    query: z.object({
      files_limit: z.coerce
        .number({ error: FILES_LIMIT_MESSAGE })
        .int(FILES_LIMIT_MESSAGE)
        .min(0, FILES_LIMIT_MESSAGE)
        .max(1000, FILES_LIMIT_MESSAGE)
        .default(100)
        .meta({ description: 'Entries of each file list shown per invocation.' }),
    }),
  },
  responses: {
    200: json('The session, with each invocation and its files.', SessionDetailSchema, EXAMPLE_SESSION_DETAIL),
    400: error('`files_limit` is invalid.', { message: FILES_LIMIT_MESSAGE, code: 'invalid_request' }),
    403: FORBIDDEN,
    404: SESSION_NOT_FOUND,
    429: THROTTLED,
  },
});

/** What the session reads need. */
export interface SessionReadDeps {
  config: Config;
  sessions: SessionRepo;
  store: ArtifactStore;
  auth: MiddlewareHandler<CallerEnv>;
}

/** Serves the two session reads on `app`. */
export function serveSessionReads(app: OpenAPIHono<CallerEnv>, deps: SessionReadDeps): void {
  const { sessions, store, config, auth } = deps;
  app.openapi({ ...listSessionsRoute, middleware: [auth] }, (c) => {
    const { limit, cursor } = c.req.valid('query');
    const rows = sessions.listSessions(ownerOf(c), limit + 1, decodeCursor(cursor));
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json(
      {
        sessions: page.map(toSessionSummary),
        next_cursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
      },
      200,
    );
  });

  app.openapi({ ...getSessionRoute, middleware: [auth] }, async (c) => {
    const id = c.req.valid('param').session_id;
    const { files_limit: limit } = c.req.valid('query');
    const row = visibleSession(sessions, id, ownerOf(c));
    const origin = publicOrigin(config, c.req.url);
    // Each invocation's lists come a page at a time from their table, never whole.
    const detail = toSessionDetail(row, sessions.listInvocations(id), (invocationId) => ({
      files: limit === 0 ? [] : sessions.files.page({ invocationId }, 'uploaded', limit).map((r) => r.entry),
      skipped: limit === 0 ? [] : sessions.files.page({ invocationId }, 'skipped', limit).map((r) => r.entry),
      counts: () => sessions.files.counts(invocationId),
    }));
    // Stored links expire: every read gets fresh ones (S3 presigning is asynchronous).
    for (const inv of detail.invocations) {
      inv.files = await Promise.all(inv.files.map(async (file) => ({ ...file, ...(await store.links(file.key, origin)) })));
    }
    return c.json(detail, 200);
  });
}

function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

function decodeCursor(raw: string | undefined): { createdAt: string; id: string } | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string') return { createdAt: value[0], id: value[1] };
  } catch {
    // Falls through to the error below.
  }
  throw new ValidationError(CURSOR_MESSAGE, { field: 'cursor' });
}
