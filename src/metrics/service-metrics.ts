/**
 * The service's Prometheus series, on a registry of its own (never prom-client's global one, so two
 * services in one process, as in tests, keep their counts apart). Domain code records through the
 * methods here; each series' labels are bounded (labels.ts).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { keyLabel, methodLabel, statusLabel } from './labels.js';

/** What the run-slot gauges read at each scrape. */
export interface RunGauges {
  /** Runs holding a slot now. */
  active(): number;
  /** Runs waiting for a slot. */
  queued(): number;
  /** Runs the machine takes at once (CCA_MAX_RUNS). */
  limit: number;
  /** Runs that may wait (CCA_MAX_QUEUE). */
  queueLimit: number;
}

/** What the warm-pool gauges read at each scrape. */
export interface WarmGauges {
  ready(): number;
  starting(): number;
  max: number;
}

/** How an invocation ended, as the series count it. */
export interface InvocationEnd {
  /** succeeded, failed, cancelled, timed_out, interrupted: the invocation record's status. */
  status: string;
  /** The output's `stop_reason`; `service_fault` when the service failed before an output existed. */
  stopReason: string;
  keyId: string | undefined;
  /** From the run's start (slot granted) to its end, files stored. */
  durationMs: number;
  usage: { input_tokens: number; output_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number } | undefined;
  costUsd: number;
  /** Files the run could not store (kept for a retry). */
  failedUploads: number;
}

const RUN_BUCKETS_S = [1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600];
const WAIT_BUCKETS_S = [0.01, 0.1, 0.5, 1, 5, 15, 30, 60, 300, 900];
const HTTP_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/**
 * The registry and every series of the service.
 * @example const metrics = new ServiceMetrics({ version: VERSION, runs: { active: () => slots.active, queued: () => slots.queued, limit: 4, queueLimit: 16 } });
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly invocations: Counter<'status' | 'stop_reason'>;
  readonly invocationDuration: Histogram<'status'>;
  readonly queueWait: Histogram;
  readonly tokens: Counter<'key_id' | 'type'>;
  readonly cost: Counter<'key_id'>;
  readonly storedFiles: Counter;
  readonly storedBytes: Counter;
  readonly storeFailures: Counter;
  readonly sessionUploadFiles: Counter;
  readonly sessionUploadBytes: Counter;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** Webhook delivery attempts by event `type` and `outcome` (delivered, retrying, failed), fed by the webhook dispatcher. */
  readonly webhookDeliveries: Counter<'type' | 'outcome'>;
  /** MCP tool calls by `server` (an operator's server by name, `request` for a caller's own) and `outcome` (ok, error). */
  readonly mcpToolCalls: Counter<'server' | 'outcome'>;
  /** Requests refused for a key's spending limit, by `key_id`, `period` (day, month) and `reason` (exceeded: 402, held: 429). */
  readonly budgetRefusals: Counter<'key_id' | 'period' | 'reason'>;
  /** New sessions by how they met the warm pool: `hit`, `miss` (an eligible shape, none ready), `not_eligible`. */
  readonly warmRequests: Counter<'result'>;
  /** Warm agents let go unused, by `reason`: idle, age, died, closing, refused. */
  readonly warmDiscards: Counter<'reason'>;

  constructor(opts: { version: string; runs: RunGauges; warm?: WarmGauges | undefined; processMetrics?: boolean }) {
    const registers = [this.registry];
    const { runs } = opts;
    new Gauge({
      name: 'cca_build_info',
      help: 'Always 1; the version of the service in its label.',
      labelNames: ['version'],
      registers,
    }).set({ version: opts.version }, 1);
    this.invocations = new Counter({
      name: 'cca_invocations_total',
      help: 'Invocations that ended, by status (succeeded, failed, cancelled, timed_out, interrupted) and stop_reason.',
      labelNames: ['status', 'stop_reason'],
      registers,
    });
    this.invocationDuration = new Histogram({
      name: 'cca_invocation_duration_seconds',
      help: 'Invocations from the start of their run (a slot granted) to their end, files stored, by status.',
      labelNames: ['status'],
      buckets: RUN_BUCKETS_S,
      registers,
    });
    this.queueWait = new Histogram({
      name: 'cca_queue_wait_seconds',
      help: 'How long invocations waited for a run slot (cancelled ones included).',
      buckets: WAIT_BUCKETS_S,
      registers,
    });
    gauge('cca_runs_active', 'Runs holding a run slot now.', runs.active, registers);
    gauge('cca_runs_queued', 'Invocations waiting for a run slot now.', runs.queued, registers);
    gauge('cca_runs_limit', 'Run slots: runs this service takes at once (CCA_MAX_RUNS).', () => runs.limit, registers);
    gauge('cca_queue_limit', 'Invocations that may wait for a slot (CCA_MAX_QUEUE); past it, 503.', () => runs.queueLimit, registers);
    const warm = opts.warm;
    new Gauge({
      name: 'cca_warm_pool_agents',
      help: 'Claude Code processes started ahead of new sessions, by state: ready (waiting for a session) or starting.',
      labelNames: ['state'],
      registers,
      collect() {
        this.set({ state: 'ready' }, warm?.ready() ?? 0);
        this.set({ state: 'starting' }, warm?.starting() ?? 0);
      },
    });
    gauge('cca_warm_pool_max', 'Most warm agents kept at once (CCA_WARM_POOL; 0: off).', () => warm?.max ?? 0, registers);
    this.warmRequests = new Counter({
      name: 'cca_warm_pool_requests_total',
      help: 'New sessions by how they met the warm pool: hit, miss (options the pool serves, none ready), not_eligible (a repository, inputs, MCP, a key with lower limits).',
      labelNames: ['result'],
      registers,
    });
    this.warmDiscards = new Counter({
      name: 'cca_warm_pool_discarded_total',
      help: 'Warm agents ended without serving a session, by reason: idle (demand fell), age (CCA_WARM_MAX_AGE_S), died, closing, refused (its request was refused once the session store had seen its id).',
      labelNames: ['reason'],
      registers,
    });
    this.tokens = new Counter({
      name: 'cca_tokens_total',
      help: 'Model tokens of finished runs, by API key id ("-" without keys) and type (input, output, cache_creation, cache_read).',
      labelNames: ['key_id', 'type'],
      registers,
    });
    this.cost = new Counter({
      name: 'cca_cost_usd_total',
      help: 'Cost of finished runs in US dollars as Claude Code computed it, by API key id ("-" without keys).',
      labelNames: ['key_id'],
      registers,
    });
    this.storedFiles = counter('cca_stored_files_total', 'Files put in the artifact store (by runs, retries and recovery).', registers);
    this.storedBytes = counter('cca_stored_bytes_total', 'Bytes of the files put in the artifact store.', registers);
    this.storeFailures = counter(
      'cca_store_failures_total',
      'Files a run could not store at its end; each is retried later and counted as stored when it lands.',
      registers,
    );
    this.sessionUploadFiles = counter(
      'cca_session_upload_files_total',
      'Files written into workspaces by POST /sessions/{id}/files.',
      registers,
    );
    this.sessionUploadBytes = counter(
      'cca_session_upload_bytes_total',
      'Bytes written into workspaces by POST /sessions/{id}/files.',
      registers,
    );
    this.httpRequests = new Counter({
      name: 'cca_http_requests_total',
      help: 'HTTP requests answered, by method, route (the declared pattern; "unmatched" for none) and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'cca_http_request_duration_seconds',
      help: 'Time to the response head (a streamed body is not counted), by method, route and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_BUCKETS_S,
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'cca_webhook_deliveries_total',
      help: 'Webhook delivery attempts by event type and outcome (delivered; retrying: failed, another attempt is due; failed: given up).',
      labelNames: ['type', 'outcome'],
      registers,
    });
    this.mcpToolCalls = new Counter({
      name: 'cca_mcp_tool_calls_total',
      help: "MCP tool calls runs made, by server (an operator's server by name; request: a server a request brought) and outcome (ok, error).",
      labelNames: ['server', 'outcome'],
      registers,
    });
    this.budgetRefusals = new Counter({
      name: 'cca_budget_refusals_total',
      help: "Invocations refused for the API key's spending limit, by key id, period (day, month) and reason (exceeded: spent, 402; held: what is left is held by runs in progress, 429).",
      labelNames: ['key_id', 'period', 'reason'],
      registers,
    });
    // The standard process_* and nodejs_* series, unprefixed: the names dashboards for Node.js expect.
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts an ended invocation: its outcome, duration, tokens and cost under its key. */
  invocationFinished(end: InvocationEnd): void {
    const key_id = keyLabel(end.keyId);
    this.invocations.inc({ status: end.status, stop_reason: end.stopReason });
    this.invocationDuration.observe({ status: end.status }, Math.max(0, end.durationMs) / 1000);
    if (end.usage !== undefined) {
      this.tokens.inc({ key_id, type: 'input' }, end.usage.input_tokens);
      this.tokens.inc({ key_id, type: 'output' }, end.usage.output_tokens);
      this.tokens.inc({ key_id, type: 'cache_creation' }, end.usage.cache_creation_input_tokens);
      this.tokens.inc({ key_id, type: 'cache_read' }, end.usage.cache_read_input_tokens);
    }
    // Touched even at 0: every key that ran has a cost series to sum.
    this.cost.inc({ key_id }, Math.max(0, end.costUsd));
    if (end.failedUploads > 0) this.storeFailures.inc(end.failedUploads);
  }

  /** Counts an invocation refused for its key's budget (before any invocation exists). */
  budgetRefused(keyId: string | undefined, period: string, reason: 'exceeded' | 'held'): void {
    this.budgetRefusals.inc({ key_id: keyLabel(keyId), period: period === 'month' ? 'month' : 'day', reason });
  }

  /** Counts one file put in the artifact store. */
  fileStored(bytes: number): void {
    this.storedFiles.inc();
    this.storedBytes.inc(Math.max(0, bytes));
  }

  /** Counts an upload into a session's workspace. */
  sessionUpload(files: number, bytes: number): void {
    this.sessionUploadFiles.inc(files);
    this.sessionUploadBytes.inc(Math.max(0, bytes));
  }

  /** Counts one answered HTTP request; `route` is the declared pattern (http/route-pattern.ts), never the raw path. */
  httpRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method: methodLabel(method), route, status: statusLabel(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  /** The text a scrape gets, and its Content-Type (Prometheus text format 0.0.4). */
  async scrape(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}

function counter(name: string, help: string, registers: Registry[]): Counter {
  return new Counter({ name, help, registers });
}

/** A gauge read at each scrape. */
function gauge(name: string, help: string, read: () => number, registers: Registry[]): void {
  new Gauge({
    name,
    help,
    registers,
    collect() {
      this.set(read());
    },
  });
}
