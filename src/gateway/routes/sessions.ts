/**
 * `GET /sessions` and `GET /sessions/{session_id}`: the calling key's sessions, newest first, and
 * one session with its invocations and fresh links to their files.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { ArtifactStore } from '../../artifacts/index.js';
import type { Config } from '../../config/index.js';
import { EXAMPLE_SESSION_DETAIL, EXAMPLE_SESSION_LIST } from '../../http/index.js';
import { error, FORBIDDEN, json, THROTTLED } from '../../http/openapi-responses.js';
import { publicOrigin, type CallerEnv } from '../../runtime/index.js';
import { SessionDetailSchema, SessionListSchema } from '../../schemas/index.js';
import { toSessionDetail, toSessionSummary, type SessionRepo } from '../../sessions/index.js';
import { ownerOf, visibleSession } from './owner.js';
import { SESSION_NOT_FOUND, SessionParams } from '../../http/session-params.js';
import {
  decodeSessionCursor,
  encodeSessionCursor,
  FILES_LIMIT_MESSAGE,
  ListSessionsQuery,
  SessionDetailQuery,
  SESSIONS_LIMIT_MESSAGE,
} from '../../http/session-queries.js';

/** The declaration of `GET /sessions`. */
export const listSessionsRoute = createRoute({
  method: 'get',
  path: '/sessions',
  operationId: 'listSessions',
  tags: ['Sessions'],
  summary: "List the key's sessions",
  description: 'Newest first, one page at a time.',
  request: { query: ListSessionsQuery },
  responses: {
    200: json('One page of sessions.', SessionListSchema, EXAMPLE_SESSION_LIST),
    400: error('`limit` or `cursor` is invalid.', { message: SESSIONS_LIMIT_MESSAGE, code: 'invalid_request' }),
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
  request: { params: SessionParams, query: SessionDetailQuery },
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
    const rows = sessions.listSessions(ownerOf(c), limit + 1, decodeSessionCursor(cursor));
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json(
      {
        sessions: page.map(toSessionSummary),
        next_cursor: rows.length > limit && last ? encodeSessionCursor({ createdAt: last.created_at, id: last.id }) : null,
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
