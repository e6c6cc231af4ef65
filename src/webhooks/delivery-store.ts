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

/** Typed access to invocation_webhooks and webhook_deliveries; every statement prepared once. */
export class DeliveryStore {
  private readonly stmts;

  constructor(db: Db) {
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
      due: db.prepare<[string, number], DeliveryRow>(
        `SELECT * FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, seq LIMIT ?`,
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
        `UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE id = ? AND state != 'pending'`,
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

  /** Records a delivery, due at once. */
  enqueue(d: NewDelivery): DeliveryRow {
    const at = d.createdAt.toISOString();
    this.stmts.insert.run(d.id, d.sessionId, d.invocationId, d.ownerKeyId, d.type, d.url, d.payload, at, at);
    return this.get(d.id) as DeliveryRow;
  }

  /** One delivery by its webhook-id. */
  get(id: string): DeliveryRow | undefined {
    return this.stmts.get.get(id);
  }

  /** Pending deliveries due at `now`, the longest waiting first. */
  due(now: Date, limit: number): DeliveryRow[] {
    return this.stmts.due.all(now.toISOString(), limit);
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
    return this.stmts.requeue.run(now.toISOString(), id).changes > 0;
  }

  /** Deletes finished deliveries of events older than `before`; returns how many. */
  prune(before: Date): number {
    return this.stmts.prune.run(before.toISOString()).changes;
  }
}
