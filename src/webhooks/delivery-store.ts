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

/** Whose deliveries these are, for messages: an API key, or the operator's (null). */
export function ownerName(ownerKeyId: string | null): string {
  return ownerKeyId === null ? 'the service' : `API key ${ownerKeyId}`;
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
  /** How many deliveries of an owner are pending. */
  static readonly PENDING_OF_SQL = `SELECT count(*) AS n FROM webhook_deliveries WHERE state = 'pending' AND owner_key_id IS ?`;

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
      pendingOf: db.prepare<[string | null], { n: number }>(DeliveryStore.PENDING_OF_SQL),
      // The oldest first: they have waited longest for a receiver that is not taking them, and
      // the newest (a permission request that expires, the end of the latest run) are the ones
      // a caller waits for.
      evict: db.prepare<[string, string | null, number]>(
        `UPDATE webhook_deliveries SET state = 'failed', next_attempt_at = NULL, last_error = ?
         WHERE seq IN (SELECT seq FROM webhook_deliveries WHERE state = 'pending' AND owner_key_id IS ? ORDER BY seq LIMIT ?)`,
      ),
      nextDue: db.prepare<[], { at: string | null }>(`SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE state = 'pending'`),
      record: db.prepare(
        `UPDATE webhook_deliveries SET state = ?, attempts = ?, last_attempt_at = ?, last_status = ?, last_error = ?, next_attempt_at = ?,
           delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END
         WHERE id = ?`,
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
   * Records a delivery, due at once. When its owner then has more than `maxPending` pending, the
   * oldest of them are given up (failed, with the reason; a caller can retry them): a receiver
   * that takes nothing cannot grow a backlog without bound.
   */
  enqueue(d: NewDelivery, maxPending = Number.POSITIVE_INFINITY): { row: DeliveryRow; evicted: number } {
    const at = d.createdAt.toISOString();
    return this.#db.transaction(() => {
      this.stmts.insert.run(d.id, d.sessionId, d.invocationId, d.ownerKeyId, d.type, d.url, d.payload, at, at);
      let evicted = 0;
      if (Number.isFinite(maxPending)) {
        const over = this.pendingOf(d.ownerKeyId) - maxPending;
        if (over > 0) {
          const why =
            `not sent: ${ownerName(d.ownerKeyId)} had more than ${maxPending} deliveries pending, and this was the oldest; ` +
            'fix the receiver, then send it again with POST /sessions/{session_id}/webhooks/{webhook_id}/retry';
          evicted = this.stmts.evict.run(why, d.ownerKeyId, over).changes;
        }
      }
      return { row: this.get(d.id) as DeliveryRow, evicted };
    })();
  }

  /** How many deliveries of an owner (null: the operator's) are pending. */
  pendingOf(ownerKeyId: string | null): number {
    return this.stmts.pendingOf.get(ownerKeyId)?.n ?? 0;
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

  /** Writes what an attempt did. */
  record(id: string, r: AttemptRecord): void {
    const at = r.attemptAt.toISOString();
    this.stmts.record.run(r.state, r.attempts, at, r.status, r.error, r.nextAttemptAt?.toISOString() ?? null, r.state, at, id);
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
