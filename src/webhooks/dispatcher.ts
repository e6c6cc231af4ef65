/**
 * Sends the pending deliveries of the `webhook_deliveries` table: each due one is signed for this
 * attempt and POSTed; a 2xx delivers it, a 410 or a refused address ends it, anything else is tried
 * again on the retry schedule until it runs out. Attempts run concurrently within a bound: a quarter
 * of them to one host name (whatever the port), half of that for one owner (an API key, or the
 * operator's) to one host, and a quarter for one owner while another owner's due deliveries could
 * use a slot (an owner alone may use all but a quarter, kept for the next owner's). The due ones
 * are picked round by round across owners: a tenant whose receivers hang, however many hosts or
 * ports they are on, delays only its own deliveries, and a hanging host of an owner leaves its
 * other receivers slots. Nothing
 * here can fail a run: deliveries start after the event is recorded, and every error ends up in the
 * delivery's row and the log.
 */
import type dns from 'node:dns';
import type { PrivateAllowance } from '../egress/index.js';
import { silentLogger, type Logger } from '../logging/index.js';
import type { DeliveryState, WebhookEventType } from '../schemas/webhooks.js';
import type { DeliveryRow, DeliveryStore } from './delivery-store.js';
import { nextAttemptDelayMs } from './schedule.js';
import { signatureHeader } from './secret.js';
import { attemptDelivery, type AttemptResult } from './send.js';
import { urlHost } from './url-rules.js';

/** What one attempt did to a delivery, for metrics and logs. */
export interface DeliveryReport {
  id: string;
  type: WebhookEventType;
  sessionId: string;
  invocationId: string;
  /** `delivered` and `failed` are final; `retrying`: it will be tried again. */
  outcome: 'delivered' | 'retrying' | 'failed';
  attempts: number;
  status: number | null;
  error: string | null;
}

/** Told of every attempt's outcome; must not throw (a throw is logged and ignored). */
export type DeliveryListener = (report: DeliveryReport) => void;

export interface DispatcherOptions {
  store: DeliveryStore;
  /** The secrets a delivery of this key (null: the operator's) is signed with now; throws when they cannot be read. */
  secretsFor: (ownerKeyId: string | null, now: Date) => string[];
  /** The wait before each attempt (CCA_WEBHOOK_RETRY_SCHEDULE). */
  scheduleMs: readonly number[];
  timeoutMs: number;
  concurrency: number;
  allow: PrivateAllowance;
  userAgent: string;
  resolve?: typeof dns.lookup;
  now?: () => Date;
  random?: () => number;
  logger?: Logger;
  /** Finished deliveries are deleted this long after their event. Default 30 days. */
  keepMs?: number;
}

/** Rows looked at per pass, round by round across owners (see DeliveryStore.due). */
const SCAN = 500;
/**
 * Rows of one owner looked at per pass: more than its share of the slots, so its rows waiting on a
 * busy host do not hide its rows to other hosts; its backlog beyond that waits for the next passes.
 */
const SCAN_PER_OWNER = 100;
/** Longest sleep between passes when nothing is due sooner. */
const MAX_SLEEP_MS = 60_000;
const PRUNE_EVERY_MS = 3_600_000;
const DEFAULT_KEEP_MS = 30 * 86_400_000;

/**
 * The delivery loop: `start()` resumes what is pending, `kick()` after enqueueing, `stop()` before
 * closing the database.
 * @example const dispatcher = new WebhookDispatcher({ store, secretsFor, scheduleMs, timeoutMs, concurrency: 16, allow, userAgent });
 */
export class WebhookDispatcher {
  readonly #o: DispatcherOptions;
  readonly #now: () => Date;
  readonly #log: Logger;
  /**
   * A quarter of the slots, at least 1: the most one host has in flight, and one owner while
   * others are waiting; and the slots an owner alone leaves free for the next owner's deliveries.
   */
  readonly #share: number;
  /** Half a share, at least 1: the most one owner has in flight to one host, so its other hosts keep slots. */
  readonly #pairShare: number;
  readonly #inflight = new Map<string, Promise<void>>();
  readonly #hosts = new Map<string, number>();
  readonly #owners = new Map<string | null, number>();
  readonly #pairs = new Map<string, number>();
  readonly #listeners = new Set<DeliveryListener>();
  readonly #abort = new AbortController();
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #scheduled = false;
  #lastPrune = 0;

  constructor(options: DispatcherOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    this.#log = options.logger ?? silentLogger();
    this.#share = Math.max(1, Math.floor(options.concurrency / 4));
    this.#pairShare = Math.max(1, Math.floor(this.#share / 2));
  }

  /** Starts sending, beginning with whatever was pending when the service last stopped. */
  start(): void {
    this.#running = true;
    this.kick();
  }

  /** Looks for due deliveries soon (after the current synchronous work: an event is being recorded). */
  kick(): void {
    if (!this.#running || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pass();
    });
  }

  /**
   * Stops: no new attempt starts, and the ones in flight are abandoned unrecorded (they are
   * pending still, and go again on the next start with the same webhook-id).
   */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#abort.abort();
    await Promise.all(this.#inflight.values());
  }

  /**
   * Lets what is due now go out, for up to `timeoutMs` (a graceful stop: the end of the last runs
   * is delivered now rather than at the next start). Resolves when nothing is due or in flight, or
   * at the deadline.
   */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.kick();
    while (this.#running && Date.now() < deadline) {
      if (this.#inflight.size === 0 && this.#o.store.due(this.#now(), 1).length === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Subscribes to attempt outcomes (metrics); returns the unsubscribe. */
  onDelivery(listener: DeliveryListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Attempts in flight now. */
  get inFlight(): number {
    return this.#inflight.size;
  }

  /** Resolves once nothing is in flight (tests). */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all(this.#inflight.values());
  }

  #pass(): void {
    if (!this.#running) return;
    clearTimeout(this.#timer);
    const now = this.#now();
    try {
      this.#prune(now);
      if (this.#inflight.size < this.#o.concurrency) {
        // Every owner within its share first; the rows of owners past theirs wait for what is left.
        const past: DeliveryRow[] = [];
        for (const row of this.#o.store.due(now, SCAN, SCAN_PER_OWNER)) {
          if (this.#inflight.size >= this.#o.concurrency) break;
          if (this.#inflight.has(row.id) || !this.#hostHasRoom(row)) continue;
          if ((this.#owners.get(row.owner_key_id) ?? 0) >= this.#share) past.push(row);
          else this.#begin(row);
        }
        // No owner within its share can use the rest now (none is due, or its hosts are full): lend
        // it, all but a share, which stays free so the next owner's delivery need not wait for a
        // hanging attempt's timeout.
        for (const row of past) {
          if (this.#inflight.size >= this.#o.concurrency - this.#share) break;
          if (this.#hostHasRoom(row)) this.#begin(row);
        }
      }
      this.#sleepUntilDue(now);
    } catch (err) {
      // The database is closing, or busy: try again later rather than never.
      this.#log.error({ err }, 'webhooks: a delivery pass failed');
      this.#sleep(MAX_SLEEP_MS);
    }
  }

  #sleepUntilDue(now: Date): void {
    const next = this.#o.store.nextDueAt();
    if (next === undefined) return;
    // Due already but waiting for a slot: the end of an attempt starts a pass anyway.
    const wait = next.getTime() - now.getTime();
    this.#sleep(wait <= 0 ? 1000 : Math.min(wait, MAX_SLEEP_MS));
  }

  #sleep(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#pass(), ms);
    this.#timer.unref();
  }

  /** Whether the row's host, and its owner's attempts to that host, are below their bounds. */
  #hostHasRoom(row: DeliveryRow): boolean {
    const host = hostOf(row.url);
    return (this.#hosts.get(host) ?? 0) < this.#share && (this.#pairs.get(pairOf(row.owner_key_id, host)) ?? 0) < this.#pairShare;
  }

  #begin(row: DeliveryRow): void {
    const owner = row.owner_key_id;
    const host = hostOf(row.url);
    const pair = pairOf(owner, host);
    count(this.#hosts, host, +1);
    count(this.#owners, owner, +1);
    count(this.#pairs, pair, +1);
    const work = this.#attempt(row)
      .catch((err: unknown) => this.#log.error({ err, webhook_id: row.id }, 'webhooks: an attempt failed unexpectedly'))
      .finally(() => {
        this.#inflight.delete(row.id);
        count(this.#hosts, host, -1);
        count(this.#owners, owner, -1);
        count(this.#pairs, pair, -1);
        this.kick();
      });
    this.#inflight.set(row.id, work);
  }

  async #attempt(row: DeliveryRow): Promise<void> {
    const started = this.#now();
    let secrets: string[];
    try {
      secrets = this.#o.secretsFor(row.owner_key_id, started);
    } catch (err) {
      this.#finish(row, started, { state: 'failed', status: null, error: (err as Error).message });
      return;
    }
    if (secrets.length === 0) {
      const whose = row.owner_key_id === null ? 'the service (CCA_WEBHOOK_SECRET is not set)' : `API key ${row.owner_key_id}`;
      this.#finish(row, started, { state: 'failed', status: null, error: `${whose} has no webhook secret to sign with` });
      return;
    }
    const timestamp = Math.floor(started.getTime() / 1000);
    const result = await attemptDelivery({
      url: row.url,
      body: row.payload,
      timeoutMs: this.#o.timeoutMs,
      allow: this.#o.allow,
      signal: this.#abort.signal,
      ...(this.#o.resolve ? { resolve: this.#o.resolve } : {}),
      headers: {
        'content-type': 'application/json',
        'user-agent': this.#o.userAgent,
        'webhook-id': row.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(secrets, row.id, timestamp, row.payload),
      },
    });
    // Stopping: the attempt does not count; the next start makes it again.
    if (this.#abort.signal.aborted) return;
    this.#finish(row, started, judge(result));
  }

  #finish(row: DeliveryRow, at: Date, verdict: Verdict): void {
    const attempts = row.attempts + 1;
    let state: DeliveryState = verdict.state;
    let error = verdict.error;
    let nextAttemptAt: Date | null = null;
    if (state === 'pending') {
      const delay = nextAttemptDelayMs(this.#o.scheduleMs, attempts, this.#o.random);
      if (delay === undefined) {
        state = 'failed';
        error = `gave up after ${attempts} attempt(s); the last: ${error}`;
      } else nextAttemptAt = new Date(this.#now().getTime() + delay);
    }
    if (!this.#o.store.record(row.id, { state, attempts, attemptAt: at, status: verdict.status, error, nextAttemptAt })) {
      // Given up at the pending cap (or given up and sent again) while this attempt was in flight.
      this.#log.info({ webhook_id: row.id, status: verdict.status }, 'webhooks: the delivery changed during its attempt; not recorded');
      return;
    }
    const outcome = state === 'pending' ? 'retrying' : state;
    const fields = { webhook_id: row.id, type: row.type, session_id: row.session_id, attempts, status: verdict.status };
    if (outcome === 'delivered') this.#log.info(fields, 'webhooks: delivered');
    else
      this.#log.warn(
        { ...fields, error, next_attempt_at: nextAttemptAt?.toISOString() },
        `webhooks: ${outcome === 'failed' ? 'gave up' : 'attempt failed'}`,
      );
    const report: DeliveryReport = {
      id: row.id,
      type: row.type,
      sessionId: row.session_id,
      invocationId: row.invocation_id,
      outcome,
      attempts,
      status: verdict.status,
      error,
    };
    for (const listener of this.#listeners) {
      try {
        listener(report);
      } catch (err) {
        this.#log.error({ err }, 'webhooks: a delivery listener threw');
      }
    }
  }

  #prune(now: Date): void {
    if (now.getTime() - this.#lastPrune < PRUNE_EVERY_MS) return;
    this.#lastPrune = now.getTime();
    const removed = this.#o.store.prune(new Date(now.getTime() - (this.#o.keepMs ?? DEFAULT_KEEP_MS)));
    if (removed > 0) this.#log.info({ removed }, 'webhooks: deleted old finished deliveries');
  }
}

interface Verdict {
  state: DeliveryState;
  status: number | null;
  error: string | null;
}

/** What an attempt's result means for its delivery. */
export function judge(result: AttemptResult): Verdict {
  if (result.kind === 'blocked') return { state: 'failed', status: null, error: result.error };
  if (result.kind === 'failed') return { state: 'pending', status: null, error: result.error };
  const { status } = result;
  if (status >= 200 && status < 300) return { state: 'delivered', status, error: null };
  if (status === 410) return { state: 'failed', status, error: 'the receiver answered 410 Gone: no more attempts' };
  const said = result.body.trim() === '' ? '' : `: ${result.body.trim().slice(0, 200)}`;
  if (status >= 300 && status < 400) {
    return {
      state: 'pending',
      status,
      error: `answered ${status}, a redirect${result.location ? ` to ${result.location}` : ''}, which is not followed`,
    };
  }
  return { state: 'pending', status, error: `answered ${status}${said}` };
}

/** Adds `by` to the count of `key`, forgetting it at zero. */
function count<K>(counts: Map<K, number>, key: K, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n <= 0) counts.delete(key);
  else counts.set(key, n);
}

/** The key of an owner's attempts to one host. */
function pairOf(owner: string | null, host: string): string {
  return JSON.stringify([owner, host]);
}

/**
 * The host name a URL connects to, without the port (the per-host bound): ports of one host are
 * one receiver to that bound, or one hanging host would get a quarter of the slots per port.
 */
function hostOf(url: string): string {
  try {
    return urlHost(new URL(url));
  } catch {
    return url;
  }
}
