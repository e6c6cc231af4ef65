/**
 * The app `cca serve` or `cca runtime` would serve, and the OpenAPI document `/openapi.json` would
 * answer, without starting the service: the app is built over a real database (the key middleware
 * prepares its statements) and parts that are never called, because listing routes and generating
 * the document run no handler.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { loadConfig, type Config, type Limits, type ServiceMode } from '../../src/config/index.js';
import { buildOpenApi, type OpenApiDocument } from '../../src/gateway/index.js';
import { KeyRepo } from '../../src/keys/index.js';
import { ServiceMetrics } from '../../src/metrics/index.js';
import type { CallerEnv } from '../../src/runtime/index.js';
import { buildApp } from '../../src/server/app.js';
import { openDatabase, type Db } from '../../src/store/index.js';
import { UrlSigner } from '../../src/artifacts/index.js';

/** Options of the document: its version, public URL and the limits it states. */
export interface DocumentOptions {
  version: string;
  serverUrl?: string;
  limits: Pick<Limits, 'maxBodyBytes' | 'maxPromptChars'>;
}

/**
 * The app of `mode` with local storage (so `/files/{key}` is served), and a `close` for its database.
 * @example const { app, close } = serviceApp('runtime'); ...; close();
 */
export function serviceApp(
  mode: ServiceMode,
  tune: (config: Config) => Config = (config) => config,
  version = '1',
): { app: OpenAPIHono<CallerEnv>; config: Config; db: Db; metrics: ServiceMetrics; close(): void } {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cca-app-'));
  const config = tune(loadConfig({}, {}, { host: '127.0.0.1', port: 0, mode }, dataDir));
  const db = openDatabase(dataDir);
  const unused = {} as never;
  const metrics = new ServiceMetrics({
    version,
    runs: { active: () => 0, queued: () => 0, limit: 1, queueLimit: 0 },
    processMetrics: false,
  });
  const app = buildApp({
    config,
    version,
    db,
    keys: new KeyRepo(db),
    sessions: unused,
    spend: unused,
    store: unused,
    local: unused,
    signer: new UrlSigner(Buffer.from('document-only')),
    events: unused,
    service: unused,
    slots: unused,
    activity: unused,
    logger: unused,
    now: Date.now,
    // Served at /metrics only when the config has a metrics token.
    metrics,
    webhooks: unused,
  });
  return { app, config, db, metrics, close: () => db.close() };
}

/** Builds the document of a serve-mode app. */
export function serviceDocument(opts: DocumentOptions): OpenApiDocument {
  const tune = (base: Config): Config => ({ ...base, limits: { ...base.limits, ...opts.limits }, publicUrl: opts.serverUrl });
  const { app, config, close } = serviceApp('serve', tune, opts.version);
  const doc = buildOpenApi(app, { version: opts.version, ...(opts.serverUrl ? { serverUrl: opts.serverUrl } : {}), limits: config.limits });
  close();
  return doc;
}
