/**
 * The composition root: builds the service's parts from a Config (database, artifact store, run
 * slots, the invocation service) and the routes of the mode (`serve`: the public API behind keys;
 * `runtime`: the AgentCore contract alone). Nothing imports this folder but the CLI and tests.
 */
import type dns from 'node:dns';
import path from 'node:path';
import { createArtifactStore, loadSigningSecret, RetentionSweep, StorageLedger, UploadOutbox, UrlSigner } from '../artifacts/index.js';
import { CredentialBroker } from '../broker/index.js';
import { VERSION, type Config } from '../config/index.js';
import { GIT_CREDENTIALS_KEY_LABEL, GitCredentialStore, KeyRepo, KeyWebhookStore, WEBHOOK_SECRETS_KEY_LABEL } from '../keys/index.js';
import { DEFAULT_GIT_USERNAME } from '../codebase/index.js';
import type { Logger } from '../logging/index.js';
import { SessionRepo } from '../sessions/index.js';
import { makeDataDirPrivate, openDatabase } from '../store/index.js';
import { lockDataDir } from '../store/lock.js';
import {
  EventLogWriter,
  NoStateMirror,
  RecordingStateMirror,
  S3EventSegments,
  S3InvocationRecords,
  S3StateMirror,
  type StateMirror,
} from '../state/index.js';
import { detectSandbox, type SandboxStatus } from '../sandbox/index.js';
import { detectLimits, limitsSummary, type LimitsSupport } from '../limits/index.js';
import { EventBus, EventStore, fileStoredEvent, SessionEvents } from '../events/index.js';
import {
  Activity,
  createWarmPool,
  InvocationService,
  recoverInterrupted,
  RunSlots,
  StateWriter,
  type StorageQuota,
  type WarmAgent,
} from '../runtime/index.js';
import type { WarmPool } from '../warm/index.js';
import { DirObjects, DurableSessions, S3Objects, workerName } from '../durable/index.js';
import { ServiceMetrics } from '../metrics/index.js';
import { startTracing } from '../tracing/index.js';
import { McpHub, type ToolCallRecord } from '../mcp/index.js';
import { Webhooks } from '../webhooks/index.js';
import { SpendLedger, type FinishedRun } from '../usage/index.js';
import { buildApp } from './app.js';

export { VERSION } from '../config/index.js';

export interface RuntimeOptions {
  /** Milliseconds since the epoch, for rate limits, quotas and retention (tests inject a clock). */
  now?: () => number;
  /** Where session state is mirrored; default: S3 with S3 storage, else nowhere. */
  state?: StateMirror;
  /** How runs are sandboxed; default: detected from config.sandbox at start-up. */
  sandbox?: SandboxStatus;
  /**
   * false: runs get the model credential itself, as before the credential broker. Not a setting
   * of the service: the benchmark uses it to measure what the broker costs.
   */
  brokerCredentials?: boolean;
  /** What per-run limits are enforced with; default: detected at start-up (sandboxed runs only). */
  limits?: LimitsSupport;
  /** Sees every MCP tool call as it ends (the hook for metrics). */
  onMcpToolCall?: (call: ToolCallRecord) => void;
  /** Resolves webhook hosts at delivery (default: the system's resolver); tests point a name at an address with it. */
  webhookResolve?: typeof dns.lookup;
  /**
   * Called once per run of an API key when its end and cost are recorded (also for runs recovered
   * after a crash): where metrics count cost and tokens by key.
   */
  onRunFinished?: (run: FinishedRun) => void;
}

/** Builds the service's parts; `hostEnv` is what the child inherits from the host (PATH, locale). */
export async function buildRuntime(config: Config, logger: Logger, hostEnv: NodeJS.ProcessEnv, options: RuntimeOptions = {}) {
  // Before anything is written there: the database, secrets, files and workspaces are the service's alone.
  makeDataDirPrivate(config.dataDir);
  // Before recovery: a second service on this data dir must not take the first one's runs.
  const unlock = lockDataDir(config.dataDir);
  try {
    return await assemble(config, logger, hostEnv, options, unlock);
  } catch (err) {
    unlock();
    throw err;
  }
}

async function assemble(config: Config, logger: Logger, hostEnv: NodeJS.ProcessEnv, options: RuntimeOptions, unlock: () => void) {
  const db = openDatabase(config.dataDir);
  const sessions = new SessionRepo(db);

  const signer = new UrlSigner(await loadSigningSecret(config.dataDir, config.signingSecret));
  const { store, local, s3 } = createArtifactStore(config, signer);
  // Before any upload: temp files of uploads the last process died in.
  const partials = (await local?.removePartials()) ?? 0;
  if (partials > 0) logger.info({ removed: partials }, 'removed the temp files of uploads that never finished');
  const keys = new KeyRepo(db);
  const slots = new RunSlots({ globalMax: config.maxRuns, maxQueue: config.maxQueue });
  // Made once the sandbox is known (below); the gauges read it at each scrape.
  let warm: WarmPool<WarmAgent> | undefined;
  const metrics = new ServiceMetrics({
    version: VERSION,
    runs: { active: () => slots.active, queued: () => slots.queued, limit: config.maxRuns, queueLimit: config.maxQueue },
    warm: { ready: () => warm?.stats().ready ?? 0, starting: () => warm?.stats().starting ?? 0, max: config.warm.max },
  });
  // Off (nothing loaded) unless an OTLP endpoint is configured.
  const tracing = await startTracing(config.tracing, VERSION, logger);
  // Tokens the operator registered per key for git hosts, sealed with a key only the service derives.
  const gitCredentials = new GitCredentialStore(db, signer.deriveKey(GIT_CREDENTIALS_KEY_LABEL));
  // Webhooks: each key's default and secret (sealed like git credentials), the deliveries and their sender.
  const webhooks = new Webhooks({
    db,
    config,
    keys: new KeyWebhookStore(db, signer.deriveKey(WEBHOOK_SECRETS_KEY_LABEL)),
    version: VERSION,
    logger: logger.child({ component: 'webhooks' }),
    ...(options.webhookResolve ? { resolve: options.webhookResolve } : {}),
  });
  webhooks.onDelivery((d) => metrics.webhookDeliveries.inc({ type: d.type, outcome: d.outcome }));
  // Every path that stores a file records it here, once: the one place to count stored files.
  const ledger = new StorageLedger(db, { onRecord: (file) => metrics.fileStored(file.size) });
  // What each key's runs cost, as they run and when they end; budgets are decided against it.
  const spendLedger = new SpendLedger(db, { onFinished: options.onRunFinished });
  const spend = { ledger: spendLedger, now: options.now ?? Date.now };
  const storage: StorageQuota = {
    ledger,
    retentionDays: config.retentionDays,
    quotaBytes: (keyId) => {
      const mb = keys.get(keyId)?.storage_quota_mb;
      return mb === null || mb === undefined ? config.storageQuotaBytes : mb * 2 ** 20;
    },
  };
  // On AgentCore the microVM's disk goes away with the session: state is mirrored next to the files,
  // with a record per invocation (the session's history) and the event log, which the API Lambda reads.
  const state: StateMirror =
    options.state ?? (s3 ? new RecordingStateMirror(new S3StateMirror(s3), new S3InvocationRecords(s3)) : new NoStateMirror());
  // One writer for the service and recovery, so writes of a session land in the order they were made.
  const states = new StateWriter(state, logger);
  const eventLog = s3 ? new EventLogWriter(new S3EventSegments(s3), logger.child({ component: 'event-log' })) : undefined;
  // Every event goes to the S3 event log (if any) and past the webhooks, which deliver the ones subscribed to.
  const bus = new EventBus({
    onPublish: (event) => {
      eventLog?.append(event);
      webhooks.observe(event);
    },
  });
  const events = new SessionEvents(new EventStore(db), bus);
  // Sessions saved where every worker sharing the storage finds them (S3, or a directory beside the files).
  const durable = config.sessionState.enabled
    ? new DurableSessions({
        objects: s3 ? new S3Objects(s3.client, s3.bucket, s3.prefix) : new DirObjects(path.join(config.dataDir, 'artifacts')),
        leaseMs: config.sessionState.leaseMs,
        maxEntries: config.limits.maxRunEntries,
        maxBytes: config.runResources.diskMb * 2 ** 20,
        // The record holds the clone's history and what the runs changed.
        maxGitBytes: config.git.maxRepoBytes + config.runResources.diskMb * 2 ** 20,
        worker: workerName(config.dataDir),
        logger: logger.child({ component: 'session-state' }),
      })
    : undefined;
  const outbox = new UploadOutbox(db, store, {
    baseDelayMs: config.limits.uploadRetryBaseMs,
    // Stored later: the invocation's record lists it with a link, and its watchers hear of it.
    onStored: (file) => {
      const { session_id: sessionId, invocation_id: invocationId, ...stored } = file;
      sessions.recordLateUpload(invocationId, stored);
      ledger.record({ sessionId, invocationId, key: stored.key, size: stored.size });
      events.emit(sessionId, invocationId, fileStoredEvent(stored));
    },
    logger: logger.child({ component: 'upload-outbox' }),
    ...(config.publicUrl ? { baseUrl: config.publicUrl } : {}),
  });
  // Detected once, before serving: the start-up message and every run agree on it.
  const sandbox = options.sandbox ?? (await detectSandbox(config.sandbox, { searchPath: hostEnv.PATH }));
  // Only sandboxed runs are limited: the spawn hook that confines them is the sandbox's.
  const limits =
    options.limits ?? (sandbox.kind === 'bwrap' ? detectLimits({ runUser: config.runUser, searchPath: hostEnv.PATH }) : undefined);
  const activity = new Activity();
  const broker = new CredentialBroker(config.provider, logger, { enabled: options.brokerCredentials ?? true });
  // The operator's MCP servers: their credentials stay here, runs get in-process proxies.
  const hub = new McpHub({
    config: config.mcp,
    reach: { egress: config.egress, privateHosts: config.privateHosts },
    log: logger,
    onToolCall: (call) => {
      // A caller's own server names would grow the series without bound: they count under `request`.
      const server = Object.hasOwn(config.mcp.servers, call.server) ? call.server : 'request';
      metrics.mcpToolCalls.inc({ server, outcome: call.ok ? 'ok' : 'error' });
      options.onMcpToolCall?.(call);
    },
  });
  const mcp = hub.enabled ? hub : undefined;
  const agentDeps = { config, events, hostEnv: runHostEnv(hostEnv), sandbox, broker, limits };
  warm = await createWarmPool(agentDeps, sessions, logger, {
    onTake: (result) => metrics.warmRequests.inc({ result }),
    onDiscard: (reason) => metrics.warmDiscards.inc({ reason }),
  });
  const service = new InvocationService({
    config,
    sessions,
    store,
    activity,
    slots,
    events,
    states,
    outbox,
    storage,
    durable,
    spend,
    sandbox,
    broker,
    limits,
    mcp,
    warm,
    logger,
    metrics,
    tracer: tracing.tracer,
    hostEnv: agentDeps.hostEnv,
    webhooks,
    keyCredentials: (keyId, host) => {
      const token = gitCredentials.gitCredentialFor(keyId, host);
      return token === undefined ? undefined : { username: DEFAULT_GIT_USERNAME, token };
    },
  });
  const app = buildApp({
    config,
    version: VERSION,
    db,
    keys,
    sessions,
    spend: spendLedger,
    store,
    local,
    signer,
    events,
    service,
    slots,
    activity,
    logger,
    now: options.now ?? Date.now,
    runLimits: limits === undefined ? { cgroup: 'none', run_uid: null } : limitsSummary(limits),
    runUser: limits?.user,
    ...(warm !== undefined ? { warmPool: () => (warm as WarmPool<WarmAgent>).stats() } : {}),
    metrics,
    ...(tracing.enabled ? { tracer: tracing.tracer } : {}),
    webhooks,
  });
  // Before serving: runs the last process died in are finished (files stored, status `interrupted`).
  const recovered = await recoverInterrupted({
    config,
    sessions,
    store,
    outbox,
    events,
    states,
    logger,
    storage,
    durable,
    spend: spendLedger,
  });
  // Ledger rows of runs whose end was recorded but not charged (a crash between the two writes).
  const settled = spendLedger.settle();
  if (settled > 0) logger.warn({ runs: settled }, 'settled the spend of runs the last process did not finish counting');
  if (recovered.length > 0) {
    metrics.invocations.inc({ status: 'interrupted', stop_reason: 'interrupted' }, recovered.length);
    metrics.storeFailures.inc(recovered.reduce((n, r) => n + r.failed, 0));
    const stored = recovered.reduce((n, r) => n + r.stored, 0);
    logger.warn(
      { interrupted: recovered.length, files_stored: stored },
      'runs in progress when the service last stopped are marked interrupted',
    );
  }
  // Failed uploads are retried in the background, and at once at start-up.
  outbox.start(30_000);
  // After recovery (whose interrupted runs may have webhooks): deliveries pending at the last stop go first.
  webhooks.start();
  // Files past the retention period are deleted hourly by the public service; `cca runtime` (on
  // AgentCore, one microVM a session) leaves that to the bucket's lifecycle rule.
  const retention = new RetentionSweep(ledger, store, {
    retentionDays: config.mode === 'serve' ? config.retentionDays : 0,
    logger: logger.child({ component: 'retention' }),
    now: () => new Date((options.now ?? Date.now)()),
  });
  retention.start(3_600_000);
  return {
    db,
    sessions,
    keys,
    spend: spendLedger,
    store,
    activity,
    slots,
    events,
    eventLog,
    service,
    outbox,
    retention,
    webhooks,
    s3,
    sandbox,
    broker,
    limits,
    warm,
    app,
    metrics,
    tracing,
    unlock,
  };
}

/** What runs inherit of the host's environment: PATH and the locale, nothing else. */
function runHostEnv(hostEnv: NodeJS.ProcessEnv) {
  return { PATH: hostEnv.PATH, LANG: hostEnv.LANG, LC_ALL: hostEnv.LC_ALL, TZ: hostEnv.TZ };
}
