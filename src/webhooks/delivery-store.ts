/**
 * The webhooks of invocations and their deliveries, in SQLite: an invocation's subscription is
 * written when it is admitted, a delivery when its event happens, and each attempt updates its row.
 * Whatever is `pending` when the service stops is tried again when it starts.
 */
import type { DeliveryState, WebhookEventType } from '../schemas/webhooks.js';
import type { Db } from '../store/index.js';

/** Where an invocation's events go. */
export interface Subscription {
  url: string;
  events: WebhookEventType[];
  /** `request`: the request named it; `key`: the API key's default. */
  source: 'request' | 'key';
  /** The public origin of the request, for the links and answer URLs of the payloads. */
  baseUrl: string;
}

/** An invocation's subscription with whose it is. */
export interface InvocationSubscription extends Subscription {
  sessionId: string;
  invocationId: string;
  /** The API key whose secret signs; null: the operator's CCA_WEBHOOK_SECRET. */
  ownerKeyId: string | null;
}

/** A row of webhook_deliveries. */
export interface DeliveryRow {
  seq: number;
  id: string;
  session_id: string;
  invocation_id: string;
  owner_key_id: string | null;
  type: WebhookEventType;
  url: string;
  payload: string;
  state: DeliveryState;
  attempts: number;
  created_at: string;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
  /** When a caller last asked to send it again (the retry route's rate limit). */
  requeued_at: string | null;
}

/** A new delivery. */
export interface NewDelivery {
  id: string;
  sessionId: string;
  invocationId: string;
  ownerKeyId: string | null;
  type: WebhookEventType;
  url: string;
  payload: string;
  createdAt: Date;
}

/** What one attempt changed. */
export interface AttemptRecord {
  state: DeliveryState;
  attempts: number;
  attemptAt: Date;
  status: number | null;
  error: string | null;
  nextAttemptAt: Date | null;
}

/**
 * What the pending cap counts, for messages: an API key's deliveries, or (the operator's, which
 * every session shares under `cca runtime`) one session's.
 */
export function capHolderName(ownerKeyId: string | null, sessionId: string): string {
  return ownerKeyId === null ? `session ${sessionId}` : `API key ${ownerKeyId}`;
}

/** Typed access to invocation_webhooks and webhook_deliveries; every statement prepared once. */
export class DeliveryStore {
  /**
   * The due deliveries, fairly: each owner's ranked (permission requests first, as they expire,
   * then the longest waiting), at most `perOwner` of each, then round by round (every owner's
   * first, then every owner's second...), so one owner's backlog cannot hide another's.
   */
  static readonly DUE_SQL = `SELECT * FROM (
      SELECT *, ROW_NUMBER() OVER (
        PARTITION BY owner_key_id ORDER BY type = 'permission.request' DESC, next_attempt_at, seq
      ) AS owner_rank
      FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ?
    ) WHERE owner_rank <= ? ORDER BY owner_rank, next_attempt_at, seq LIMIT ?`;
  /** How many deliveries of a key are pending. */
  static readonly PENDING_OF_SQL = `SELECT count(*) AS n FROM webhook_deliveries WHERE state = 'pending' AND owner_key_id = ?`;
  /** How many of the operator's deliveries of one session are pending (read through the session's index). */
  static readonly PENDING_OF_SESSION_SQL = `SELECT count(*) AS n FROM webhook_deliveries
    WHERE session_id = ? AND state = 'pending' AND owner_key_id IS NULL`;

  private readonly stmts;
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
    this.stmts = {
      subscribe: db.prepare(
        `INSERT OR REPLACE INTO invocation_webhooks (invocation_id, session_id, owner_key_id, url, events, source, base_url, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      subscription: db.prepare<
        [string],
        { session_id: string; owner_key_id: string | null; url: string; events: string; source: 'request' | 'key'; base_url: string }
      >('SELECT * FROM invocation_webhooks WHERE invocation_id = ?'),
      insert: db.prepare(
        `INSERT INTO webhook_deliveries (id, session_id, invocation_id, owner_key_id, type, url, payload, state, created_at, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      ),
      get: db.prepare<[string], DeliveryRow>('SELECT * FROM webhook_deliveries WHERE id = ?'),
      due: db.prepare<[string, number, number], DeliveryRow>(DeliveryStore.DUE_SQL),
      pendingOf: db.prepare<[string], { n: number }>(DeliveryStore.PENDING_OF_SQL),
      pendingOfSession: db.prepare<[string], { n: number }>(DeliveryStore.PENDING_OF_SESSION_SQL),
      // The oldest first: they have waited longest for a receiver that is not taking them, and
      // the newest (the end of the latest run) are the ones a caller waits for. Never a permission
      // request: a run is blocked on its answer, and there is at most one per waiting run.
      evict: db.prepare<[string, string, number]>(
        `UPDATE webhook_deliveries SET state = 'failed', next_attempt_at = NULL, last_error = ?
         WHERE seq IN (SELECT seq FROM webhook_deliveries WHERE state = 'pending' AND owner_key_id = ?
           AND type != 'permission.request' ORDER BY seq LIMIT ?)`,
      ),
      evictOfSession: db.prepare<[string, string, number]>(
        `UPDATE webhook_deliveries SET state = 'failed', next_attempt_at = NULL, last_error = ?
         WHERE seq IN (SELECT seq FROM webhook_deliveries WHERE session_id = ? AND state = 'pending' AND owner_key_id IS NULL
           AND type != 'permission.request' ORDER BY seq LIMIT ?)`,
      ),
      nextDue: db.prepare<[], { at: string | null }>(`SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE state = 'pending'`),
      record: db.prepare(
        `UPDATE webhook_deliveries SET state = ?, attempts = ?, last_attempt_at = ?, last_status = ?, last_error = ?, next_attempt_at = ?,
           delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END
         WHERE id = ? AND state = 'pending' AND attempts = ?`,
      ),
      page: db.prepare<[string, number, number], DeliveryRow>(
        'SELECT * FROM webhook_deliveries WHERE session_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
      ),
      pageOfInvocation: db.prepare<[string, string, number, number], DeliveryRow>(
        'SELECT * FROM webhook_deliveries WHERE session_id = ? AND invocation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
      ),
      prune: db.prepare(`DELETE FROM webhook_deliveries WHERE state != 'pending' AND created_at < ?`),
      requeue: db.prepare(
        `UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?, requeued_at = ? WHERE id = ? AND state != 'pending'`,
      ),
    };
  }

  /** Records where an invocation's events go (before its first event). */
  subscribe(sub: InvocationSubscription, now: Date = new Date()): void {
    this.stmts.subscribe.run(
      sub.invocationId,
      sub.sessionId,
      sub.ownerKeyId,
      sub.url,
      JSON.stringify(sub.events),
      sub.source,
      sub.baseUrl,
      now.toISOString(),
    );
  }

  /** Where an invocation's events go, or undefined when it has no webhook. */
  subscriptionOf(invocationId: string): InvocationSubscription | undefined {
    const row = this.stmts.subscription.get(invocationId);
    if (row === undefined) return undefined;
    return {
      invocationId,
      sessionId: row.session_id,
      ownerKeyId: row.owner_key_id,
      url: row.url,
      events: JSON.parse(row.events) as WebhookEventType[],
      source: row.source,
      baseUrl: row.base_url,
    };
  }

  /**
   * Records a delivery, due at once. When its API key (or, for the operator's deliveries, which
   * all sessions share under `cca runtime`, its session) then has more than `maxPending` pending,
   * the oldest of them but permission requests are given up (failed, with the reason; a caller can
   * retry them): a receiver that takes nothing cannot grow a backlog without bound, and one
   * session's backlog never gives up another session's deliveries.
   */
  enqueue(d: NewDelivery, maxPending = Number.POSITIVE_INFINITY): { row: DeliveryRow; evicted: number } {
    const at = d.createdAt.toISOString();
    return this.#db.transaction(() => {
      this.stmts.insert.run(d.id, d.sessionId, d.invocationId, d.ownerKeyId, d.type, d.url, d.payload, at, at);
      let evicted = 0;
      if (Number.isFinite(maxPending)) {
        const over = this.pendingOf(d.ownerKeyId, d.sessionId) - maxPending;
        if (over > 0) {
          const why =
            `not sent: ${capHolderName(d.ownerKeyId, d.sessionId)} had more than ${maxPending} deliveries pending, and this was the oldest; ` +
            'fix the receiver, then send it again with POST /sessions/{session_id}/webhooks/{webhook_id}/retry';
          const evict = d.ownerKeyId === null ? this.stmts.evictOfSession : this.stmts.evict;
          evicted = evict.run(why, d.ownerKeyId ?? d.sessionId, over).changes;
        }
      }
      return { row: this.get(d.id) as DeliveryRow, evicted };
    })();
  }

  /** How many deliveries of a key are pending; for the operator's (null), those of the session (the cap's scope). */
  pendingOf(ownerKeyId: string | null, sessionId: string): number {
    const row = ownerKeyId === null ? this.stmts.pendingOfSession.get(sessionId) : this.stmts.pendingOf.get(ownerKeyId);
    return row?.n ?? 0;
  }

  /** One delivery by its webhook-id. */
  get(id: string): DeliveryRow | undefined {
    return this.stmts.get.get(id);
  }

  /** Pending deliveries due at `now`, at most `perOwner` of each owner, fairly across owners (see DUE_SQL). */
  due(now: Date, limit: number, perOwner = limit): DeliveryRow[] {
    return this.stmts.due.all(now.toISOString(), perOwner, limit);
  }

  /** When the next pending delivery is due; undefined: none is pending. */
  nextDueAt(): Date | undefined {
    const at = this.stmts.nextDue.get()?.at;
    return at == null ? undefined : new Date(at);
  }

  /**
   * Writes what an attempt did, if the row is still the one it was made for: pending, with one
   * attempt fewer. False when it changed meanwhile (given up at the pending cap, or given up and
   * sent again): the attempt is not recorded over that.
   */
  record(id: string, r: AttemptRecord): boolean {
    const at = r.attemptAt.toISOString();
    const next = r.nextAttemptAt?.toISOString() ?? null;
    return this.stmts.record.run(r.state, r.attempts, at, r.status, r.error, next, r.state, at, id, r.attempts - 1).changes > 0;
  }

  /**
   * A session's deliveries, newest first, after the delivery `afterId` of an earlier page.
   * Undefined when `afterId` is not one of the session's (a stale or forged cursor).
   */
  page(
    sessionId: string,
    opts: { limit: number; afterId?: string | undefined; invocationId?: string | undefined },
  ): DeliveryRow[] | undefined {
    let before = Number.MAX_SAFE_INTEGER;
    if (opts.afterId !== undefined) {
      const after = this.get(opts.afterId);
      if (after === undefined || after.session_id !== sessionId) return undefined;
      before = after.seq;
    }
    return opts.invocationId === undefined
      ? this.stmts.page.all(sessionId, before, opts.limit)
      : this.stmts.pageOfInvocation.all(sessionId, opts.invocationId, before, opts.limit);
  }

  /** Puts a finished delivery back to pending, due now, with a fresh schedule; false if it was pending already. */
  requeue(id: string, now: Date): boolean {
    const at = now.toISOString();
    return this.stmts.requeue.run(at, at, id).changes > 0;
  }

  /** Deletes finished deliveries of events older than `before`; returns how many. */
  prune(before: Date): number {
    return this.stmts.prune.run(before.toISOString()).changes;
  }
}
