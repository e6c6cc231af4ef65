/**
 * The public HTTP API served by `cca serve`: `POST /invoke` (the original sample's route), the
 * sessions of the calling key, health, and the OpenAPI document with its docs page.
 */
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { ArtifactStore } from '../artifacts/index.js';
import type { Config } from '../config/index.js';
import { CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, CORS_EXPOSE_HEADERS, CORS_MAX_AGE_S } from '../http/index.js';
import { NotFoundError, ValidationError } from '../errors/index.js';
import { invocationBodyLimit, invocationHandler, publicOrigin, type CallerEnv } from '../runtime/invoke-route.js';
import type { InvocationService } from '../runtime/service.js';
import { sseResponse } from '../runtime/sse.js';
import type { SessionEvents } from '../events/index.js';
import { PermissionAnswerSchema, type CancelAccepted } from '../schemas/control.js';
import { toSessionDetail, toSessionSummary, type SessionRepo } from '../sessions/index.js';
import type { MiddlewareHandler } from 'hono';
import type { RunSlots } from '../runtime/slots.js';

export interface GatewayDeps {
  config: Config;
  service: InvocationService;
  events: SessionEvents;
  sessions: SessionRepo;
  store: ArtifactStore;
  slots: RunSlots;
  auth: MiddlewareHandler<CallerEnv>;
  version: string;
  startedAt: number;
  /** Extra unauthenticated routes (the OpenAPI document and docs page). */
  docs?: Hono<CallerEnv>;
}

/** CORS for every route: configured origins (default any, as the original sample). */
export function corsFor(config: Config): MiddlewareHandler {
  const any = config.corsOrigins.includes('*');
  return cors({
    origin: any ? '*' : config.corsOrigins,
    allowHeaders: CORS_ALLOW_HEADERS,
    allowMethods: CORS_ALLOW_METHODS,
    exposeHeaders: CORS_EXPOSE_HEADERS,
    maxAge: CORS_MAX_AGE_S,
  });
}

/** Builds the public API's routes. */
export function createGatewayRoutes(deps: GatewayDeps): Hono<CallerEnv> {
  const { config, service, sessions, store, auth } = deps;
  const app = new Hono<CallerEnv>();

  app.get('/health', (c) =>
    c.json({
      status: 'ok',
      version: deps.version,
      uptime_s: Math.floor((Date.now() - deps.startedAt) / 1000),
      runs: { active: deps.slots.active, queued: deps.slots.queued },
    }),
  );

  app.post('/invoke', auth, invocationBodyLimit(config), invocationHandler({ config, service, events: deps.events, asyncAllowed: true }));

  app.get('/sessions/:id/events', auth, (c) => {
    const id = c.req.param('id');
    visibleRow(id, ownerOf(c));
    const afterId = parseAfter(c.req.header('last-event-id') ?? c.req.query('after'));
    const stream = deps.events.stream(id, { afterId, isActive: () => service.isActive(id), signal: c.req.raw.signal });
    return sseResponse(stream, c.req.raw.signal);
  });

  app.post('/sessions/:id/cancel', auth, (c) => {
    const id = c.req.param('id');
    const { invocationId } = service.cancel(id, ownerOf(c));
    return c.json({ session_id: id, invocation_id: invocationId, status: 'cancelling' } satisfies CancelAccepted, 202);
  });

  app.post('/sessions/:id/permissions/:requestId', auth, invocationBodyLimit(config), async (c) => {
    const id = c.req.param('id');
    const requestId = c.req.param('requestId');
    const parsed = PermissionAnswerSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) {
      throw new ValidationError('The body must be {"decision": "allow" | "deny", "message"?: string}.', { field: 'decision' });
    }
    service.answerPermission(id, ownerOf(c), requestId, parsed.data.decision, parsed.data.message);
    return c.json({ request_id: requestId, decision: parsed.data.decision });
  });

  app.get('/sessions', auth, (c) => {
    const limit = parseLimit(c.req.query('limit'));
    const after = decodeCursor(c.req.query('cursor'));
    const rows = sessions.listSessions(ownerOf(c), limit + 1, after);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json({
      sessions: page.map(toSessionSummary),
      next_cursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
    });
  });

  /** The session's row if the caller may see it; 404 otherwise (another key's session does not exist). */
  const visibleRow = (id: string, owner: string) => {
    const row = sessions.getSessionListRow(id);
    if (row === undefined || row.owner_key_id !== owner) throw new NotFoundError(`Session ${id} was not found.`);
    return row;
  };

  app.get('/sessions/:id', auth, async (c) => {
    const id = c.req.param('id');
    const row = visibleRow(id, ownerOf(c));
    const origin = publicOrigin(config, c.req.url);
    const detail = toSessionDetail(row, sessions.listInvocations(id));
    // Stored links expire: every read gets fresh ones (S3 presigning is asynchronous).
    for (const inv of detail.invocations) {
      inv.files = await Promise.all(inv.files.map(async (file) => ({ ...file, ...(await store.links(file.key, origin)) })));
    }
    return c.json(detail);
  });

  if (deps.docs) app.route('/', deps.docs);
  return app;
}

function ownerOf(c: { get(key: 'caller'): CallerEnv['Variables']['caller'] }): string {
  const caller = c.get('caller');
  if (caller === undefined) throw new Error('session routes must be guarded by the API key middleware');
  return caller.keyId;
}

/** The event id to resume after: Last-Event-ID or `?after=`; 0 replays everything. */
function parseAfter(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new ValidationError('Last-Event-ID / after must be the id of an event (a non-negative integer).', { field: 'after' });
  }
  return n;
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return 20;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new ValidationError('limit must be an integer from 1 to 100.', { field: 'limit' });
  return n;
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
  throw new ValidationError('cursor is not one this API returned; pass next_cursor from the previous page unchanged.', { field: 'cursor' });
}
