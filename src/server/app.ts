/**
 * The routes of the mode, on one app: `serve` has the public API behind keys, the AgentCore
 * contract (with a key too), signed downloads and the docs; `runtime` the AgentCore contract and
 * downloads alone. The OpenAPI document is generated from this app's route declarations.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Tracer } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import type { ArtifactStore, LocalArtifactStore, UrlSigner } from '../artifacts/index.js';
import type { Config } from '../config/index.js';
import type { SessionEvents } from '../events/index.js';
import { apiKeyAuth, corsFor, createGatewayRoutes, RequestLimiter, serveDocs } from '../gateway/index.js';
import type { KeyRepo } from '../keys/index.js';
import type { Logger } from '../logging/index.js';
import { countRequests, serveMetrics, type ServiceMetrics } from '../metrics/index.js';
import { createRuntimeApp, filesRoutes, type Activity, type CallerEnv, type InvocationService, type RunSlots } from '../runtime/index.js';
import type { SessionRepo } from '../sessions/index.js';
import type { Db } from '../store/index.js';
import { traceRequests } from '../tracing/index.js';
import { loadWebAssets, serveConsole, serveWebAssets, type WebAsset } from '../web/index.js';
import type { Webhooks } from '../webhooks/index.js';
import type { Health } from '../schemas/index.js';
import type { SpendLedger } from '../usage/index.js';

/** What the routes are built over. */
export interface AppParts {
  config: Config;
  version: string;
  db: Db;
  keys: KeyRepo;
  sessions: SessionRepo;
  /** What each key's runs cost (`GET /usage`). */
  spend: SpendLedger;
  store: ArtifactStore;
  /** The local store, whose files `/files/` serves; undefined with S3 (links go to S3 directly). */
  local: LocalArtifactStore | undefined;
  signer: UrlSigner;
  events: SessionEvents;
  service: InvocationService;
  slots: RunSlots;
  activity: Activity;
  logger: Logger;
  /** Milliseconds since the epoch, for rate limits and quotas. */
  now: () => number;
  /** How runs are limited (for /health); default: cgroup none, the service's uid. */
  runLimits?: { cgroup: 'v2' | 'v1' | 'none'; run_uid: number | null };
  /** The warm pool's figures (for /health); undefined: the pool is off. */
  warmPool?: (() => Health['warm_pool']) | undefined;
  /** The user runs execute as (uploads give their files to it); undefined: the service's own. */
  runUser?: { uid: number; gid: number } | undefined;
  /** The service's series: requests are counted, and `/metrics` serves them when the operator set a token. */
  metrics?: ServiceMetrics | undefined;
  /** Each request gets a span (tracing on); undefined: none. */
  tracer?: Tracer | undefined;
  /** Webhook deliveries, which `GET /sessions/{session_id}/webhooks` lists. */
  webhooks: Webhooks;
  /** The browser apps' built files; default: read from `dist/assets/`. */
  webAssets?: Map<string, WebAsset>;
}

/**
 * Builds the app of `parts.config.mode`.
 * @example const app = buildApp({ config, version: VERSION, db, keys, sessions, store, local, signer, events, service, slots, activity, logger, now: Date.now });
 */
export function buildApp(parts: AppParts): OpenAPIHono<CallerEnv> {
  const { config, service, events, activity, logger, metrics } = parts;
  const files = parts.local ? [filesRoutes(parts.local, parts.signer) as unknown as OpenAPIHono<CallerEnv>] : [];
  const observe: MiddlewareHandler[] = [
    ...(parts.tracer ? [traceRequests(parts.tracer)] : []),
    ...(metrics ? [countRequests(metrics)] : []),
  ];
  if (config.mode !== 'serve') {
    const app = createRuntimeApp({ config, service, events, activity, logger, observe, routes: files });
    serveMetricsOn(app, parts);
    return app;
  }
  // Every request takes a token of its key's bucket; only those that start runs or store files spend the daily quota.
  const limiter = new RequestLimiter(parts.db);
  const auth = apiKeyAuth({ keys: parts.keys, limiter, now: parts.now, quota: false });
  const invokeAuth = apiKeyAuth({ keys: parts.keys, limiter, now: parts.now, quota: true });
  const runLimits = parts.runLimits ?? { cgroup: 'none', run_uid: null };
  const gateway = createGatewayRoutes({
    ...parts,
    auth,
    invokeAuth,
    startedAt: parts.now(),
    runLimits,
    cursorKey: parts.signer.deriveKey('files-cursor'),
  });
  const app = createRuntimeApp({
    config,
    service,
    events,
    activity,
    logger,
    observe,
    cors: corsFor(config),
    guard: invokeAuth,
    routes: [...files, gateway],
  });
  serveMetricsOn(app, parts);
  serveDocs(app, config, parts.version);
  const webAssets = parts.webAssets ?? loadWebAssets();
  serveWebAssets(app, webAssets);
  serveConsole(app, webAssets);
  return app;
}

/** `/metrics` on the main port, when the operator set a token (without one it is served only on --metrics-port, or not at all). */
function serveMetricsOn(app: OpenAPIHono<CallerEnv>, parts: AppParts): void {
  const token = parts.config.metrics.token;
  if (token !== undefined && parts.metrics !== undefined) serveMetrics(app, parts.metrics, token);
}
