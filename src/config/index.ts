/**
 * Configuration, parsed once at start-up: flags beat environment variables, which beat defaults.
 * Domain code receives the typed `Config`; nothing else reads `process.env`.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseDomainList, parsePrivateHosts, type EgressConfig, type PrivateAllowance } from '../egress/index.js';
import { defaultGlobalRuns, defaultQueuedPerKey, defaultRunResources, type RunResources } from './machine.js';
import { ConfigError } from './errors.js';
import { parseMcpConfig, type McpConfig } from './mcp.js';
import { parseWarmPool, type WarmPoolConfig } from './warm.js';
import { detectProvider, type ProviderConfig } from './provider.js';
import { parseMetrics, parseTracing, type MetricsConfig, type MetricsFlags, type TracingConfig } from './telemetry.js';
import { WebhookSecretSchema } from '../schemas/webhooks.js';

export { modelEndpoints } from './endpoints.js';
export { ConfigError } from './errors.js';
export { findExecutable, isProcessAlive } from './host.js';
export type { RunResources } from './machine.js';
export { defaultWarmMax, type WarmPoolConfig } from './warm.js';
export { nodeVersionWarning, SUPPORTED_NODE } from './node-version.js';
export { VERSION } from './version.js';
export type { MetricsConfig, SamplerConfig, TracingConfig } from './telemetry.js';
export {
  declaredMcpServers,
  MCP_SERVER_NAME,
  MCP_SERVER_NAME_RULE,
  NO_MCP,
  type McpAuth,
  type McpConfig,
  type McpServerDecl,
} from './mcp.js';
export { bedrockDefaultModel, NO_PROVIDER_MESSAGE, runModel, type ProviderConfig, type ProviderKind } from './provider.js';

export type StorageConfig = { kind: 'local' } | { kind: 's3'; bucket: string; prefix: string };

/** How the S3 client is set up; read here so that the SDK is handed every value explicitly. */
export interface AwsConfig {
  /** AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1. */
  region: string;
  /** AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL: an S3-compatible server; undefined: AWS itself. */
  s3Endpoint: string | undefined;
  /** CCA_S3_FORCE_PATH_STYLE=1: `endpoint/bucket/key` URLs, for servers without per-bucket host names. */
  s3ForcePathStyle: boolean;
}

export interface Limits {
  maxBodyBytes: number;
  maxPromptChars: number;
  defaultMaxTurns: number;
  maxTurnsLimit: number;
  defaultBudgetUsd: number;
  budgetUsdLimit: number;
  defaultTimeoutS: number;
  timeoutSLimit: number;
  downloadUrlTtlS: number;
  defaultApprovalTimeoutS: number;
  approvalTimeoutSLimit: number;
  maxFiles: number;
  maxFileBytes: number;
  maxTotalBytes: number;
  maxWalkEntries: number;
  /** Files and folders a run's workspace, home and tmp may hold (the disk watch counts them): a repository has many. */
  maxRunEntries: number;
  /** Entries of each file list (uploaded, skipped, failed) a response carries; the rest are paged. */
  maxListedFiles: number;
  /** First wait before a failed upload is retried (doubling after each failure). */
  uploadRetryBaseMs: number;
}

/**
 * `serve`: the public API (API keys, limits, sessions) plus the runtime routes, all behind keys.
 * `runtime`: the AgentCore Runtime contract alone, unauthenticated (AgentCore authenticates callers).
 */
export type ServiceMode = 'serve' | 'runtime';

export interface Config {
  mode: ServiceMode;
  host: string;
  port: number;
  dataDir: string;
  storage: StorageConfig;
  aws: AwsConfig;
  /** Origin used in download links; undefined: the origin the request came in on. */
  publicUrl: string | undefined;
  /** CCA_MODEL: overrides the provider's default model. */
  model: string | undefined;
  provider: ProviderConfig;
  /** Claude Code's own retry count for model calls (CLAUDE_CODE_MAX_RETRIES); undefined: its default. */
  modelMaxRetries: number | undefined;
  /** Path to a Claude Code executable; undefined: the one the Agent SDK ships. */
  claudePath: string | undefined;
  /** `bwrap`: each run in a bubblewrap sandbox (Linux); `off`: no sandbox (`--no-sandbox`). */
  sandbox: 'bwrap' | 'off';
  /** What runs may connect to (`--allowed-domains`); requests may narrow it with `allowed_domains`. */
  egress: EgressConfig;
  /**
   * `isolated` (default): each sandboxed run has its own network namespace and reaches out only
   * through its egress proxy; `host`: runs without an allowlist share the host's network
   * (CCA_RUN_NETWORK=host, for tools that need more than HTTP(S) and TCP through a proxy).
   */
  runNetwork: 'isolated' | 'host';
  /** Loopback, private or metadata hosts and ranges runs may still reach (CCA_PRIVATE_HOSTS). */
  privateHosts: PrivateAllowance;
  /** Claude Code's timeout for one model request (API_TIMEOUT_MS); undefined: its default. */
  modelTimeoutMs: number | undefined;
  /** How long a stopping service lets runs finish before cancelling them. */
  shutdownGraceMs: number;
  logLevel: string;
  signingSecret: string | undefined;
  /** Origins allowed by CORS; ['*'] allows any. */
  corsOrigins: string[];
  /** Concurrent agent runs on this machine, and how many more may wait for one. */
  maxRuns: number;
  maxQueue: number;
  /** Runs one API key may have waiting in that queue, unless the key sets its own (`max_queued`). */
  maxQueuedPerKey: number;
  /** Bytes of stored files one API key may have, unless the key sets its own; 0: no quota. */
  storageQuotaBytes: number;
  /** Days stored files are kept, then deleted by the retention sweep; 0: kept forever. */
  retentionDays: number;
  limits: Limits;
  /** What one sandboxed run may use (a key may be given lower caps). */
  runResources: RunResources;
  /** What one upload into a workspace may write (CCA_UPLOAD_MAX_MB, CCA_UPLOAD_MAX_FILES; a key may be given lower caps). */
  upload: { maxBytes: number; maxFiles: number };
  /** The unprivileged user runs execute as when the service runs as root (CCA_RUN_UID / CCA_RUN_GID). */
  runUser: { uid: number; gid: number };
  /** Repositories as workspaces (`repository`, `push`, `pull_request` in requests). */
  git: GitConfig;
  /** Sessions saved to the session store, so any worker can continue them. */
  sessionState: SessionStateConfig;
  /**
   * The directory whose `sessions/` holds each session's workspace, home and git record
   * (CCA_SESSIONS_BASE; default: the data dir). On AgentCore: the session's persistent mount.
   */
  sessionsBase: string;
  /** Where `/metrics` is served (the main port behind a token, a port of its own, or nowhere). */
  metrics: MetricsConfig;
  /** OpenTelemetry traces over OTLP/HTTP; undefined: off (no OTLP endpoint configured). */
  tracing: TracingConfig | undefined;
  /** MCP servers the operator declared, and what requests may do with them. */
  mcp: McpConfig;
  /** Signed webhook deliveries. */
  webhooks: WebhookConfig;
  /** Claude Code processes started ahead of new sessions (src/warm). */
  warm: WarmPoolConfig;
}

/** Webhook deliveries (CCA_WEBHOOK_SECRET, CCA_WEBHOOK_RETRY_SCHEDULE, CCA_WEBHOOK_TIMEOUT_S, CCA_WEBHOOK_CONCURRENCY). */
export interface WebhookConfig {
  /**
   * What deliveries are signed with where there are no API keys (`cca runtime`, AgentCore):
   * `whsec_<base64>`; undefined: a request's webhook is refused there. `cca serve` signs with each key's own.
   */
  secret: string | undefined;
  /** The wait before each attempt: after the event for the first, after the previous attempt for the others; as many attempts as entries. */
  retryScheduleMs: number[];
  /** How long one attempt may take, from connecting to the end of the answer. */
  timeoutMs: number;
  /** Attempts in flight at once; at most a quarter of them (at least 1) to one host. */
  concurrency: number;
}

/**
 * Seconds before each delivery attempt: at once, then 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h,
 * 4 h, 8 h and 8 h (each but the first plus up to 20% jitter): 11 attempts over about a day.
 */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE_S = [0, 5, 30, 120, 600, 1800, 3600, 7200, 14_400, 28_800, 28_800];

/** Durable session state (CCA_SESSION_STATE, CCA_SESSION_LEASE_S, CCA_SESSION_CHECKPOINT_S). */
export interface SessionStateConfig {
  /** Save each session's conversation and workspace, and restore it on the worker that continues it. */
  enabled: boolean;
  /** How long a worker's hold on a session lasts without renewal (renewed every third of it while it runs). */
  leaseMs: number;
  /** How often a running invocation is saved as a checkpoint; 0: only at its end. */
  checkpointMs: number;
}

/** How the service fetches, pushes and opens pull requests. */
export interface GitConfig {
  /** Local paths and file:// URLs may be cloned (CCA_GIT_ALLOW_LOCAL=1); off: only http(s). */
  allowLocal: boolean;
  /** Most bytes a clone may fetch (CCA_REPO_MAX_MB). */
  maxRepoBytes: number;
  /** Most bytes of an invocation's changes.patch (CCA_MAX_PATCH_MB); a larger one is not stored. */
  maxPatchBytes: number;
  /** Author and committer of pushed commits (CCA_GIT_AUTHOR, "Name <email>"). */
  author: { name: string; email: string };
  /** GitHub's REST API (CCA_GITHUB_API_URL); undefined: api.github.com for github.com, https://<host>/api/v3 for GitHub Enterprise. */
  githubApiUrl: string | undefined;
}

/** Flag values as the CLI parsed them (all optional strings). */
export interface ConfigFlags extends MetricsFlags {
  port?: string | undefined;
  host?: string | undefined;
  'data-dir'?: string | undefined;
  storage?: string | undefined;
  'session-state'?: string | undefined;
  'public-url'?: string | undefined;
  model?: string | undefined;
  'log-level'?: string | undefined;
  'no-sandbox'?: boolean | undefined;
  'allowed-domains'?: string | undefined;
  'private-hosts'?: string | undefined;
  'mcp-config'?: string | undefined;
  'mcp-allow-stdio'?: boolean | undefined;
  'mcp-allow-request-servers'?: boolean | undefined;
  'warm-pool'?: string | undefined;
  'warm-idle'?: string | undefined;
}

const MiB = 1024 * 1024;
/** Stored bytes per API key by default: 10 GiB. */
export const DEFAULT_STORAGE_QUOTA_MB = 10_240;
/** Days stored files are kept by default. */
export const DEFAULT_RETENTION_DAYS = 30;

/** Builds the typed configuration from CLI flags, an environment and the defaults of a mode. */
export function loadConfig(
  flags: ConfigFlags,
  env: NodeJS.ProcessEnv,
  defaults: { host: string; port: number; mode?: ServiceMode } = { host: '127.0.0.1', port: 8080 },
  cwd: string = process.cwd(),
  machine: { cpus: number; totalMemBytes: number } = { cpus: os.availableParallelism(), totalMemBytes: os.totalmem() },
): Config {
  const pick = (flag: string | undefined, name: string) => flag ?? nonEmpty(env[name]);
  const int = (name: string, fallback: number, min: number, max: number) => number(name, nonEmpty(env[name]), fallback, min, max, true);

  const limits: Limits = {
    maxBodyBytes: int('CCA_MAX_BODY_BYTES', 1 * MiB, 1024, 64 * MiB),
    maxPromptChars: int('CCA_MAX_PROMPT_CHARS', 100_000, 1, 10_000_000),
    defaultMaxTurns: int('CCA_MAX_TURNS', 50, 1, 10_000),
    maxTurnsLimit: int('CCA_MAX_TURNS_LIMIT', 200, 1, 10_000),
    defaultBudgetUsd: number('CCA_MAX_BUDGET_USD', nonEmpty(env.CCA_MAX_BUDGET_USD), 5, 0.0001, 100_000, false),
    budgetUsdLimit: number('CCA_MAX_BUDGET_USD_LIMIT', nonEmpty(env.CCA_MAX_BUDGET_USD_LIMIT), 50, 0.0001, 100_000, false),
    defaultTimeoutS: int('CCA_TIMEOUT_S', 900, 1, 86_400),
    timeoutSLimit: int('CCA_TIMEOUT_S_LIMIT', 3600, 1, 86_400),
    downloadUrlTtlS: int('CCA_DOWNLOAD_URL_TTL_S', 3600, 1, 7 * 86_400),
    defaultApprovalTimeoutS: int('CCA_APPROVAL_TIMEOUT_S', 300, 1, 86_400),
    approvalTimeoutSLimit: int('CCA_APPROVAL_TIMEOUT_S_LIMIT', 3600, 1, 86_400),
    maxFiles: int('CCA_MAX_FILES', 1000, 1, 1_000_000),
    maxFileBytes: int('CCA_MAX_FILE_BYTES', 100 * MiB, 1, 5 * 1024 * MiB),
    maxTotalBytes: int('CCA_MAX_TOTAL_BYTES', 1024 * MiB, 1, 1024 * 1024 * MiB),
    maxWalkEntries: int('CCA_MAX_WALK_ENTRIES', 100_000, 1, 10_000_000),
    maxRunEntries: int('CCA_RUN_MAX_ENTRIES', 1_000_000, 1000, 100_000_000),
    maxListedFiles: int('CCA_MAX_LISTED_FILES', 1000, 1, 100_000),
    uploadRetryBaseMs: int('CCA_UPLOAD_RETRY_BASE_MS', 5000, 0, 3_600_000),
  };
  // Defaults never exceed the maxima a request may ask for.
  limits.defaultMaxTurns = Math.min(limits.defaultMaxTurns, limits.maxTurnsLimit);
  limits.defaultBudgetUsd = Math.min(limits.defaultBudgetUsd, limits.budgetUsdLimit);
  limits.defaultTimeoutS = Math.min(limits.defaultTimeoutS, limits.timeoutSLimit);
  limits.defaultApprovalTimeoutS = Math.min(limits.defaultApprovalTimeoutS, limits.approvalTimeoutSLimit);

  const retries = nonEmpty(env.CCA_MODEL_MAX_RETRIES);
  const modelTimeout = nonEmpty(env.CCA_MODEL_TIMEOUT_S);
  const maxRuns = int('CCA_MAX_RUNS', defaultGlobalRuns(machine.cpus, machine.totalMemBytes), 1, 10_000);
  const resources = defaultRunResources(machine.cpus, machine.totalMemBytes, maxRuns);
  const runUid = int('CCA_RUN_UID', 65534, 1, 2 ** 32 - 2);
  const maxQueue = int('CCA_MAX_QUEUE', maxRuns * 4, 0, 100_000);
  const sandbox = parseSandbox(flags['no-sandbox'], nonEmpty(env.CCA_SANDBOX));
  const storage = parseStorage(pick(flags.storage, 'CCA_STORAGE') ?? 'local');
  const dataDir = path.resolve(cwd, pick(flags['data-dir'], 'CCA_DATA_DIR') ?? '.cca');
  const port = number('--port / CCA_PORT', pick(flags.port, 'CCA_PORT'), defaults.port, 0, 65_535, true);
  return {
    mode: defaults.mode ?? 'serve',
    host: pick(flags.host, 'CCA_HOST') ?? defaults.host,
    port,
    dataDir,
    sessionsBase: nonEmpty(env.CCA_SESSIONS_BASE) === undefined ? dataDir : path.resolve(cwd, env.CCA_SESSIONS_BASE as string),
    storage,
    aws: parseAws(env),
    publicUrl: parsePublicUrl(pick(flags['public-url'], 'CCA_PUBLIC_URL')),
    model: pick(flags.model, 'CCA_MODEL'),
    provider: detectProvider(env),
    modelMaxRetries: retries === undefined ? undefined : number('CCA_MODEL_MAX_RETRIES', retries, 0, 0, 100, true),
    claudePath: nonEmpty(env.CCA_CLAUDE_PATH),
    sandbox,
    egress: parseEgress(pick(flags['allowed-domains'], 'CCA_ALLOWED_DOMAINS'), sandbox),
    runNetwork: parseRunNetwork(nonEmpty(env.CCA_RUN_NETWORK)),
    privateHosts: parsePrivate(pick(flags['private-hosts'], 'CCA_PRIVATE_HOSTS')),
    modelTimeoutMs: modelTimeout === undefined ? undefined : number('CCA_MODEL_TIMEOUT_S', modelTimeout, 0, 1, 3600, false) * 1000,
    shutdownGraceMs: int('CCA_SHUTDOWN_GRACE_S', 30, 0, 3600) * 1000,
    logLevel: pick(flags['log-level'], 'CCA_LOG_LEVEL') ?? 'info',
    signingSecret: nonEmpty(env.CCA_SIGNING_SECRET),
    corsOrigins: (nonEmpty(env.CCA_CORS_ORIGINS) ?? '*')
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o !== ''),
    maxRuns,
    maxQueue,
    maxQueuedPerKey: int('CCA_MAX_QUEUED_PER_KEY', defaultQueuedPerKey(maxQueue), 0, 100_000),
    storageQuotaBytes: int('CCA_STORAGE_QUOTA_MB', DEFAULT_STORAGE_QUOTA_MB, 0, 1_000_000_000) * MiB,
    retentionDays: int('CCA_RETENTION_DAYS', DEFAULT_RETENTION_DAYS, 0, 36_500),
    limits,
    runResources: {
      memoryMb: int('CCA_RUN_MEMORY_MB', resources.memoryMb, 64, 16 * 1024 * 1024),
      pids: int('CCA_RUN_PIDS', resources.pids, 16, 4_194_304),
      cpus: number('CCA_RUN_CPUS', nonEmpty(env.CCA_RUN_CPUS), resources.cpus, 0.01, 4096, false),
      diskMb: int('CCA_RUN_DISK_MB', resources.diskMb, 1, 1024 * 1024 * 1024),
    },
    upload: {
      maxBytes: int('CCA_UPLOAD_MAX_MB', 100, 1, 1024 * 1024) * MiB,
      maxFiles: int('CCA_UPLOAD_MAX_FILES', 1000, 1, 1_000_000),
    },
    // 0 (root) is refused: the point is a user without privileges. 65534 is "nobody" on most systems.
    runUser: { uid: runUid, gid: int('CCA_RUN_GID', runUid === 65534 ? 65534 : runUid, 1, 2 ** 32 - 2) },
    git: {
      allowLocal: parseSwitch('CCA_GIT_ALLOW_LOCAL', nonEmpty(env.CCA_GIT_ALLOW_LOCAL)),
      maxRepoBytes: int('CCA_REPO_MAX_MB', 2048, 1, 1024 * 1024) * MiB,
      maxPatchBytes: int('CCA_MAX_PATCH_MB', 50, 1, 4096) * MiB,
      author: parseAuthor(nonEmpty(env.CCA_GIT_AUTHOR)),
      githubApiUrl: env.CCA_GITHUB_API_URL?.trim() ? parseHttpUrl('CCA_GITHUB_API_URL', env.CCA_GITHUB_API_URL.trim()) : undefined,
    },
    mcp: parseMcpConfig(
      {
        config: pick(flags['mcp-config'], 'CCA_MCP_CONFIG'),
        allowStdio: flags['mcp-allow-stdio'] === true || parseSwitch('CCA_MCP_ALLOW_STDIO', nonEmpty(env.CCA_MCP_ALLOW_STDIO)),
        allowRequestServers:
          flags['mcp-allow-request-servers'] === true ||
          parseSwitch('CCA_MCP_ALLOW_REQUEST_SERVERS', nonEmpty(env.CCA_MCP_ALLOW_REQUEST_SERVERS)),
        toolTimeoutMs: int('CCA_MCP_TIMEOUT_S', 300, 1, 86_400) * 1000,
      },
      env,
      cwd,
      (message) => new ConfigError(message),
    ),
    webhooks: {
      secret: parseWebhookSecret(nonEmpty(env.CCA_WEBHOOK_SECRET)),
      retryScheduleMs: parseRetrySchedule(nonEmpty(env.CCA_WEBHOOK_RETRY_SCHEDULE)),
      timeoutMs: number('CCA_WEBHOOK_TIMEOUT_S', nonEmpty(env.CCA_WEBHOOK_TIMEOUT_S), 15, 0.1, 300, false) * 1000,
      concurrency: int('CCA_WEBHOOK_CONCURRENCY', 16, 1, 1000),
    },
    sessionState: {
      enabled: parseSessionState(pick(flags['session-state'], 'CCA_SESSION_STATE'), storage),
      leaseMs: int('CCA_SESSION_LEASE_S', 60, 5, 86_400) * 1000,
      checkpointMs: int('CCA_SESSION_CHECKPOINT_S', 300, 0, 86_400) * 1000,
    },
    metrics: parseMetrics(flags, env, port),
    tracing: parseTracing(env),
    warm: parseWarmPool(
      {
        pool: pick(flags['warm-pool'], 'CCA_WARM_POOL'),
        idleS: pick(flags['warm-idle'], 'CCA_WARM_IDLE_S'),
        maxAgeS: nonEmpty(env.CCA_WARM_MAX_AGE_S),
      },
      defaults.mode ?? 'serve',
      machine,
      maxRuns,
    ),
  };
}

/**
 * `auto` (default): on with S3 storage, where workers come and go and the bucket outlives them;
 * off with local storage, whose data dir already keeps every session.
 */
function parseSessionState(raw: string | undefined, storage: StorageConfig): boolean {
  const value = (raw ?? 'auto').toLowerCase();
  if (value === 'auto') return storage.kind === 's3';
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new ConfigError(`--session-state / CCA_SESSION_STATE must be "auto", "on" or "off"; got "${raw}".`);
}

function parseWebhookSecret(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const parsed = WebhookSecretSchema.safeParse(raw);
  if (parsed.success) return raw;
  throw new ConfigError(
    `CCA_WEBHOOK_SECRET: ${parsed.error.issues[0]?.message ?? 'not a webhook secret'}. Make one with: echo "whsec_$(openssl rand -base64 32)".`,
  );
}

/** A comma-separated list of seconds (fractions allowed): the wait before each attempt. */
function parseRetrySchedule(raw: string | undefined): number[] {
  if (raw === undefined) return DEFAULT_WEBHOOK_RETRY_SCHEDULE_S.map((s) => s * 1000);
  const entries = raw.split(',').map((e) => e.trim());
  const seconds = entries.map(Number);
  if (entries.length > 30 || entries.some((e) => e === '') || seconds.some((s) => !Number.isFinite(s) || s < 0 || s > 86_400)) {
    throw new ConfigError(
      `CCA_WEBHOOK_RETRY_SCHEDULE must be 1 to 30 numbers of seconds from 0 to 86400, separated by commas (the wait before each attempt), e.g. "${DEFAULT_WEBHOOK_RETRY_SCHEDULE_S.join(',')}"; got "${raw}".`,
    );
  }
  return seconds.map((s) => Math.round(s * 1000));
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function number(name: string, raw: string | undefined, fallback: number, min: number, max: number, integer: boolean): number {
  if (raw === undefined) return fallback;
  const schema = (integer ? z.coerce.number().int() : z.coerce.number()).min(min).max(max);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}; got "${raw}".`);
  }
  return parsed.data;
}

function parseSandbox(noSandboxFlag: boolean | undefined, raw: string | undefined): 'bwrap' | 'off' {
  if (noSandboxFlag) return 'off';
  if (raw === undefined || raw === 'bwrap') return 'bwrap';
  if (raw === 'off') return 'off';
  throw new ConfigError(`CCA_SANDBOX must be "bwrap" or "off" (the same as --no-sandbox); got "${raw}".`);
}

function parseEgress(raw: string | undefined, sandbox: 'bwrap' | 'off'): EgressConfig {
  if (raw === undefined) return { kind: 'open' };
  if (raw.trim() === '') {
    throw new ConfigError('--allowed-domains is empty: give host names separated by commas, e.g. "github.com,*.npmjs.org", or "none".');
  }
  let domains: string[];
  try {
    domains = parseDomainList(raw, '--allowed-domains / CCA_ALLOWED_DOMAINS');
  } catch (err) {
    throw new ConfigError(`${(err as Error).message} Give host names separated by commas, e.g. "github.com,*.npmjs.org", or "none".`);
  }
  // Without the sandbox a run shares the host's network: an allowlist would be a promise not kept.
  if (sandbox === 'off') {
    throw new ConfigError(
      '--allowed-domains / CCA_ALLOWED_DOMAINS needs the run sandbox (bubblewrap), which --no-sandbox / CCA_SANDBOX=off turns off. ' +
        "Drop one of them; on AgentCore, limit egress with the runtime's network configuration (VPC) instead.",
    );
  }
  return { kind: 'allowlist', domains };
}

function parseSwitch(name: string, raw: string | undefined): boolean {
  if (raw === undefined) return false;
  if (['1', 'true'].includes(raw)) return true;
  if (['0', 'false'].includes(raw)) return false;
  throw new ConfigError(`${name} must be 1 or 0; got "${raw}".`);
}

function parseAuthor(raw: string | undefined): { name: string; email: string } {
  if (raw === undefined) return { name: 'claude-code-agent', email: 'claude-code-agent@users.noreply.github.com' };
  const m = /^([^<>\n]+?)\s*<([^<>\s]+@[^<>\s]+)>$/.exec(raw);
  if (!m) throw new ConfigError(`CCA_GIT_AUTHOR must look like "Name <email@example.com>"; got "${raw}".`);
  return { name: m[1] as string, email: m[2] as string };
}

function parseHttpUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL; got "${raw}".`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`${name} must be an http(s) URL; got "${raw}".`);
  return url.href.replace(/\/+$/, '');
}

function parseRunNetwork(raw: string | undefined): 'isolated' | 'host' {
  if (raw === undefined || raw === 'isolated') return 'isolated';
  if (raw === 'host') return 'host';
  throw new ConfigError(`CCA_RUN_NETWORK must be "isolated" (each run its own network, the proxy its way out) or "host"; got "${raw}".`);
}

function parsePrivate(raw: string | undefined): PrivateAllowance {
  try {
    return parsePrivateHosts((raw ?? '').split(','));
  } catch (err) {
    throw new ConfigError(
      `--private-hosts / CCA_PRIVATE_HOSTS: ${(err as Error).message} Give host names, IP addresses or ranges separated by commas, e.g. "registry.internal,10.1.0.0/16".`,
    );
  }
}

function parseStorage(raw: string): StorageConfig {
  if (raw === 'local') return { kind: 'local' };
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(raw);
  const prefix = (match?.[2] ?? '').replace(/\/+$/, '');
  // Keys are built as `<prefix>/outputs/...`: empty, "." or ".." segments would make unusable keys.
  const segmentsOk = prefix === '' || prefix.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
  if (match?.[1] && segmentsOk) return { kind: 's3', bucket: match[1], prefix };
  throw new ConfigError(`--storage / CCA_STORAGE must be "local" or "s3://BUCKET[/PREFIX]"; got "${raw}".`);
}

function parseAws(env: NodeJS.ProcessEnv): AwsConfig {
  const endpointVar = nonEmpty(env.AWS_ENDPOINT_URL_S3) === undefined ? 'AWS_ENDPOINT_URL' : 'AWS_ENDPOINT_URL_S3';
  const endpoint = nonEmpty(env[endpointVar]);
  if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint)) {
    throw new ConfigError(`${endpointVar} must be an http(s) URL such as http://127.0.0.1:9000; got "${endpoint}".`);
  }
  const pathStyle = nonEmpty(env.CCA_S3_FORCE_PATH_STYLE) ?? '0';
  if (!['0', '1', 'true', 'false'].includes(pathStyle)) {
    throw new ConfigError(`CCA_S3_FORCE_PATH_STYLE must be 1 or 0; got "${pathStyle}".`);
  }
  return {
    region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1',
    s3Endpoint: endpoint,
    s3ForcePathStyle: pathStyle === '1' || pathStyle === 'true',
  };
}

function parsePublicUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    return url.origin + url.pathname.replace(/\/+$/, '');
  } catch {
    throw new ConfigError(`--public-url / CCA_PUBLIC_URL must be an http(s) URL such as https://agent.example.com; got "${raw}".`);
  }
}
