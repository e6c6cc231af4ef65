/**
 * Serves the built service over HTTP and stops it gracefully: no new runs, a grace period for the
 * runs in progress, then cancel (their files are still stored), then close the stores.
 */
import type { WarmAgent } from '../runtime/index.js';
import type { WarmPool } from '../warm/index.js';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { ConfigError, type Config } from '../config/index.js';
import type { KeyRepo } from '../keys/index.js';
import type { Logger } from '../logging/index.js';
import type { CallerEnv, InvocationService } from '../runtime/index.js';
import type { RetentionSweep, UploadOutbox } from '../artifacts/index.js';
import type { LimitsSupport } from '../limits/index.js';
import { metricsApp, type ServiceMetrics } from '../metrics/index.js';
import type { SandboxStatus } from '../sandbox/index.js';
import type { Db } from '../store/index.js';
import type { Webhooks } from '../webhooks/index.js';
import { buildRuntime, type RuntimeOptions } from './build.js';

export interface RuntimeHandle {
  url: string;
  port: number;
  app: Hono<CallerEnv>;
  service: InvocationService;
  keys: KeyRepo;
  db: Db;
  /** Failed uploads waiting for a retry. */
  outbox: UploadOutbox;
  /** Deletes stored files past the retention period (hourly; `sweep()` runs a pass now). */
  retention: RetentionSweep;
  /** Webhook subscriptions and deliveries; `webhooks.onDelivery` reports each attempt's outcome. */
  webhooks: Webhooks;
  /** How runs are sandboxed. */
  sandbox: SandboxStatus;
  /** What per-run limits are enforced with; undefined: runs are not sandboxed. */
  limits: LimitsSupport | undefined;
  /** Claude Code started ahead of new sessions; undefined: the pool is off. */
  warm: WarmPool<WarmAgent> | undefined;
  /** `http://host:port/metrics` of the metrics port (`--metrics-port`); undefined: none. */
  metricsUrl: string | undefined;
  /** Stops accepting, lets runs finish for up to `graceMs`, then cancels them (their files are still stored). */
  close(graceMs?: number): Promise<void>;
}

/** Starts the service on `config.host:config.port` (port 0: the OS picks). */
export async function startRuntime(
  config: Config,
  logger: Logger,
  hostEnv: NodeJS.ProcessEnv,
  options: RuntimeOptions = {},
): Promise<RuntimeHandle> {
  const parts = await buildRuntime(config, logger, hostEnv, options);
  const server = createAdaptorServer({ fetch: parts.app.fetch, hostname: config.host }) as Server;
  // requestTimeout bounds receiving the request, not answering it (a run may take an hour): a
  // client that trickles or never finishes its body is cut off instead of holding a handler.
  server.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  // Listening: the first warm agents start while the service begins to serve.
  parts.warm?.start();
  const url = urlOf(config.host, port);
  const metricsServer = config.metrics.port === undefined ? undefined : await listenMetrics(config, parts.metrics, server);
  const metricsUrl = metricsServer && `${urlOf(config.metrics.host, (metricsServer.address() as AddressInfo).port)}/metrics`;

  let closing: Promise<void> | undefined;
  const close = (graceMs = config.shutdownGraceMs) =>
    (closing ??= (async () => {
      parts.service.stopAccepting();
      // Warm agents serve nothing from here: ended while the runs finish.
      const warmClosed = parts.warm?.close();
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
      // Scrapes are answered until the runs are over: the last figures are the ones worth reading.
      if (metricsServer !== undefined) await closeServer(metricsServer);
      await parts.outbox.stop();
      // The ends of the last runs go out now if their receivers answer quickly; the rest at the next start.
      await parts.webhooks.stop(Math.min(graceMs, 5000));
      await parts.retention.stop();
      await warmClosed;
      await parts.broker.close();
      await parts.service.mirrorsSettled();
      await parts.eventLog?.settled();
      // The spans of the last runs are exported before the process goes.
      await parts.tracing.shutdown().catch((err: unknown) => logger.warn({ err }, 'could not export the last spans'));
      parts.s3?.client.destroy();
      parts.db.close();
      await parts.limits?.cgroups?.close();
      parts.unlock();
    })());

  return {
    url,
    port,
    app: parts.app,
    service: parts.service,
    keys: parts.keys,
    db: parts.db,
    outbox: parts.outbox,
    retention: parts.retention,
    webhooks: parts.webhooks,
    sandbox: parts.sandbox,
    limits: parts.limits,
    warm: parts.warm,
    metricsUrl,
    close,
  };
}

/** The URL of an address the service listens on, as a client on this machine reaches it. */
function urlOf(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

/** Serves `/metrics` on the port of its own; the main server is closed again if that port cannot be had. */
async function listenMetrics(config: Config, metrics: ServiceMetrics, main: Server): Promise<Server> {
  const { host, port, token } = config.metrics;
  const server = createAdaptorServer({ fetch: metricsApp(metrics, token).fetch, hostname: host }) as Server;
  server.requestTimeout = 30_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return server;
  } catch (err) {
    main.close();
    throw new ConfigError(
      `--metrics-port / CCA_METRICS_PORT: cannot listen on ${host}:${port} (${(err as Error).message}); pick another port, or 0 for any free one.`,
    );
  }
}

function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return closed;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
