/**
 * Wires the runtime together from a Config and serves it: database, artifact store, service, app.
 */
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { filesRoutes, loadSigningSecret, LocalArtifactStore, UrlSigner, type ArtifactStore } from '../artifacts/index.js';
import { ConfigError, type Config } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import { SessionRepo } from '../sessions/index.js';
import { openDatabase, type Db } from '../store/index.js';
import { Activity } from './activity.js';
import { createRuntimeApp } from './app.js';
import { InvocationService } from './service.js';

export interface RuntimeHandle {
  url: string;
  port: number;
  app: Hono;
  service: InvocationService;
  db: Db;
  /** Stops accepting, lets runs finish for up to `graceMs`, then cancels them (their files are still stored). */
  close(graceMs?: number): Promise<void>;
}

/** Builds the runtime's parts; `hostEnv` is what the child inherits from the host (PATH, locale). */
export async function buildRuntime(config: Config, logger: Logger, hostEnv: NodeJS.ProcessEnv) {
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const db = openDatabase(config.dataDir);
  const sessions = new SessionRepo(db);
  const interrupted = sessions.markInterrupted(new Date());
  if (interrupted > 0) logger.warn({ interrupted }, 'runs in progress when the service last stopped are marked interrupted');

  const signer = new UrlSigner(await loadSigningSecret(config.dataDir, config.signingSecret));
  if (config.storage.kind !== 'local') {
    throw new ConfigError('S3 storage (--storage s3://...) is not in this build yet; use --storage local.');
  }
  const localStore = new LocalArtifactStore({
    root: path.join(config.dataDir, 'artifacts'),
    signer,
    expiresInSeconds: config.limits.downloadUrlTtlS,
  });
  const store: ArtifactStore = localStore;
  const activity = new Activity();
  const service = new InvocationService({
    config,
    sessions,
    store,
    activity,
    logger,
    hostEnv: { PATH: hostEnv.PATH, LANG: hostEnv.LANG, LC_ALL: hostEnv.LC_ALL, TZ: hostEnv.TZ },
  });
  const app = createRuntimeApp({ config, service, activity, logger, extraRoutes: filesRoutes(localStore, signer) });
  return { db, sessions, store, activity, service, app };
}

/** Starts the runtime on `config.host:config.port` (port 0: the OS picks). */
export async function startRuntime(config: Config, logger: Logger, hostEnv: NodeJS.ProcessEnv): Promise<RuntimeHandle> {
  const parts = await buildRuntime(config, logger, hostEnv);
  const server = createAdaptorServer({ fetch: parts.app.fetch, hostname: config.host }) as Server;
  // Agent runs outlast Node's default request timeout (5 min); the run's own timeout bounds them.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;

  let closing: Promise<void> | undefined;
  const close = (graceMs = 30_000) =>
    (closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + graceMs;
      while (parts.service.activeRuns > 0 && Date.now() < deadline) await sleep(100);
      if (parts.service.activeRuns > 0) {
        logger.warn({ runs: parts.service.activeRuns }, 'grace period over: cancelling runs (their files are stored)');
        parts.service.cancelAll();
        while (parts.service.activeRuns > 0) await sleep(100);
      }
      server.closeAllConnections();
      await stopped;
      parts.db.close();
    })());

  return { url, port, app: parts.app, service: parts.service, db: parts.db, close };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
