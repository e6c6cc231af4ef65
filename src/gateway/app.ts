/**
 * The public HTTP API served by `cca serve`: `POST /invoke` (the original sample's route), the
 * sessions of the calling key, and health. Every route is declared once (routes/): the
 * declaration validates the request and generates the OpenAPI document.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { ArtifactStore, LocalArtifactStore } from '../artifacts/index.js';
import type { Config } from '../config/index.js';
import type { SessionEvents } from '../events/index.js';
import { CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, CORS_EXPOSE_HEADERS, CORS_MAX_AGE_S, routeGroup, serveDeclared } from '../http/index.js';
import { invocationBodyLimit, invocationHandler, type CallerEnv, type InvocationService, type RunSlots } from '../runtime/index.js';
import type { ServiceMetrics } from '../metrics/index.js';
import type { Health } from '../schemas/index.js';
import type { SessionRepo } from '../sessions/index.js';
import { healthRoute } from './routes/health.js';
import { invokeRoute } from './routes/invoke.js';
import { serveSessionControl } from './routes/session-control.js';
import { serveSessionArchive } from './routes/session-archive.js';
import { serveSessionFiles } from './routes/session-files.js';
import { serveSessionUploads } from './routes/session-uploads.js';
import { serveSessionReads } from './routes/sessions.js';
import { declareWebhookEvents, serveSessionWebhooks } from './routes/session-webhooks.js';
import type { Webhooks } from '../webhooks/index.js';
import { serveUsage } from './routes/usage.js';
import type { SpendLedger } from '../usage/index.js';

export interface GatewayDeps {
  config: Config;
  service: InvocationService;
  events: SessionEvents;
  sessions: SessionRepo;
  store: ArtifactStore;
  /** The local store, whose files the session archive reads from disk; undefined with S3. */
  local?: LocalArtifactStore | undefined;
  slots: RunSlots;
  /** The key check of reads and steering: the token bucket only. */
  auth: MiddlewareHandler<CallerEnv>;
  /** The key check of invocations and uploads: the token bucket and the daily quota. */
  invokeAuth: MiddlewareHandler<CallerEnv>;
  version: string;
  startedAt: number;
  /** How runs are limited, as /health reports it. */
  runLimits: Health['run_limits'];
  /** The warm pool's figures now; undefined: the pool is off. */
  warmPool?: (() => Health['warm_pool']) | undefined;
  /** Encrypts the file pages' cursors (row ids would tell how busy other keys are). */
  cursorKey: Buffer;
  /** The user runs execute as, who must own uploaded files; undefined: the service's own. */
  runUser?: { uid: number; gid: number } | undefined;
  /** Where uploads into sessions are counted; undefined: nowhere. */
  metrics?: ServiceMetrics | undefined;
  /** Webhook deliveries, listed per session. */
  webhooks: Pick<Webhooks, 'page' | 'maxAttempts' | 'redeliver'>;
  /** What each key's runs cost (`GET /usage`). */
  spend: SpendLedger;
  /** Milliseconds since the epoch: today's date and the budget windows of `/usage`. */
  now: () => number;
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

const WARM_POOL_OFF: Health['warm_pool'] = { enabled: false, max: 0, ready: 0, starting: 0, hits: 0, misses: 0, hit_rate: null };

/** Builds the public API's routes. */
export function createGatewayRoutes(deps: GatewayDeps): OpenAPIHono<CallerEnv> {
  const { config, service, auth, invokeAuth } = deps;
  const app = routeGroup<CallerEnv>();

  app.openapi(healthRoute, (c) =>
    c.json(
      {
        status: 'ok' as const,
        version: deps.version,
        uptime_s: Math.floor((Date.now() - deps.startedAt) / 1000),
        runs: { active: deps.slots.active, queued: deps.slots.queued },
        run_limits: deps.runLimits,
        warm_pool: deps.warmPool?.() ?? WARM_POOL_OFF,
      },
      200,
    ),
  );

  const invoke = invocationHandler({ config, service, events: deps.events, asyncAllowed: true });
  serveDeclared(app, invokeRoute(config.limits.maxBodyBytes), '/invoke', invokeAuth, invocationBodyLimit(config), invoke);
  serveSessionControl(app, deps);
  serveSessionReads(app, deps);
  serveSessionFiles(app, deps);
  serveSessionArchive(app, deps);
  // An upload counts as an invocation does: it writes up to the upload caps to disk, and can create a session.
  serveSessionUploads(app, { ...deps, auth: invokeAuth });
  serveSessionWebhooks(app, deps);
  declareWebhookEvents(app);
  serveUsage(app, { spend: deps.spend, auth, now: deps.now });
  return app;
}
