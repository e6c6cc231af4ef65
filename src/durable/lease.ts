/**
 * One invocation at a time per session across workers: a lease object
 * (`sessions/<id>/lease.json`) taken with a conditional put, renewed while the invocation runs, and
 * given back at its end. A worker that dies holding it stops renewing; once it expires, any worker
 * may take it. Expiry is wall-clock time: workers' clocks must agree to well within the lease's
 * length (NTP does; AgentCore's microVMs are synchronised).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging/index.js';
import { leaseKey as sessionLeaseKey } from '../state/index.js';
import { SessionLeaseHeldError } from './errors.js';
import { PreconditionFailedError, type ObjectStore } from './objects.js';

/** The lease object's content. */
export interface LeaseRecord {
  /** Which worker holds it (host and process), for people reading the store. */
  holder: string;
  /** This acquisition: two requests on one worker are two holders. */
  token: string;
  invocation_id: string;
  acquired_at: string;
  expires_at: string;
  /** Given back before its expiry. */
  released?: boolean;
}

/** The lease's key under the store's own prefix (the layout is state/keys.ts's, which the Lambda reads too). */
export function leaseKey(sessionId: string): string {
  return sessionLeaseKey('', sessionId);
}

export interface LeaseOptions {
  ttlMs: number;
  worker: string;
  now?: () => number;
  logger: Logger;
}

/** A held lease: renewed in the background until released. */
export class Lease {
  #etag: string;
  #timer: NodeJS.Timeout | undefined;
  #lost = false;
  #released = false;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly objects: ObjectStore,
    private readonly sessionId: string,
    private readonly record: LeaseRecord,
    etag: string,
    private readonly opts: LeaseOptions,
  ) {
    this.#etag = etag;
  }

  /** True once a renewal found the lease taken by someone else (this worker was too slow). */
  get lost(): boolean {
    return this.#lost;
  }

  /** Renews every third of the lease's length until released. */
  keepAlive(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.renew(), Math.max(1000, Math.floor(this.opts.ttlMs / 3)));
    this.#timer.unref();
  }

  /** Pushes the expiry one lease length on; false (and `lost`) when the lease is no longer ours. */
  renew(): Promise<boolean> {
    return this.#serial(async () => {
      if (this.#lost || this.#released) return false;
      const now = (this.opts.now ?? Date.now)();
      return this.#write({ ...this.record, expires_at: new Date(now + this.opts.ttlMs).toISOString() });
    });
  }

  /**
   * Renews the lease and says whether that landed: unlike `renew`, a store that cannot be reached
   * is not taken as "still ours". What moves a session's head asks this first.
   */
  confirm(): Promise<boolean> {
    return this.#serial(async () => {
      if (this.#lost || this.#released) return false;
      const now = (this.opts.now ?? Date.now)();
      return this.#write({ ...this.record, expires_at: new Date(now + this.opts.ttlMs).toISOString() }, { strict: true });
    });
  }

  /** Gives the lease back (never throws: an unreleased lease expires on its own). */
  release(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    return this.#serial(async () => {
      if (this.#lost || this.#released) return;
      this.#released = true;
      const now = (this.opts.now ?? Date.now)();
      await this.#write({ ...this.record, released: true, expires_at: new Date(now).toISOString() });
    }).then(() => undefined);
  }

  async #write(record: LeaseRecord, opts: { strict?: boolean } = {}): Promise<boolean> {
    try {
      this.#etag = await this.objects.put(leaseKey(this.sessionId), Buffer.from(JSON.stringify(record)), { ifMatch: this.#etag });
      return true;
    } catch (err) {
      if (err instanceof PreconditionFailedError && (await this.#stillMine())) return true;
      if (err instanceof PreconditionFailedError) {
        this.#lost = true;
        this.opts.logger.error({ session_id: this.sessionId }, 'the session lease was taken by another worker while this one held it');
        return false;
      }
      // The store is unreachable: keep the lease as ours and try again at the next renewal.
      this.opts.logger.warn({ err, session_id: this.sessionId }, 'could not renew the session lease');
      return opts.strict !== true;
    }
  }

  /** After a 412: a retried write whose first attempt landed left our own token there. */
  async #stillMine(): Promise<boolean> {
    const now = await this.objects.get(leaseKey(this.sessionId)).catch(() => undefined);
    const held = now && parseLease(now.body);
    if (!now || !held || held.token !== this.record.token) return false;
    this.#etag = now.etag;
    return true;
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(work, work);
    this.#chain = next.catch(() => undefined);
    return next;
  }
}

/**
 * Takes the session's lease for an invocation, or throws SessionLeaseHeldError (409) while another
 * holder's lease has not expired.
 * @example const lease = await acquireLease(objects, sessionId, invocationId, { ttlMs: 60_000, worker, logger });
 */
export async function acquireLease(objects: ObjectStore, sessionId: string, invocationId: string, opts: LeaseOptions): Promise<Lease> {
  const now = (opts.now ?? Date.now)();
  const key = leaseKey(sessionId);
  const existing = await objects.get(key);
  if (existing !== undefined) {
    const held = parseLease(existing.body);
    const left = held && !held.released ? Date.parse(held.expires_at) - now : 0;
    if (left > 0) throw new SessionLeaseHeldError(sessionId, Math.ceil(left / 1000));
  }
  const record: LeaseRecord = {
    holder: opts.worker,
    token: randomUUID(),
    invocation_id: invocationId,
    acquired_at: new Date(now).toISOString(),
    expires_at: new Date(now + opts.ttlMs).toISOString(),
  };
  try {
    const etag = await objects.put(
      key,
      Buffer.from(JSON.stringify(record)),
      existing === undefined ? { ifNoneMatch: '*' } : { ifMatch: existing.etag },
    );
    return new Lease(objects, sessionId, record, etag, opts);
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
    // A retried write whose first attempt landed answers 412 too: our token there means it is ours.
    const now = await objects.get(key);
    if (now !== undefined && parseLease(now.body)?.token === record.token) return new Lease(objects, sessionId, record, now.etag, opts);
    // Someone took it between the read and the write.
    throw new SessionLeaseHeldError(sessionId, Math.ceil(opts.ttlMs / 1000));
  }
}

/** The lease in `body`; undefined for a malformed one, which anyone may replace. */
export function parseLease(body: Buffer): LeaseRecord | undefined {
  try {
    const r = JSON.parse(body.toString('utf8')) as Partial<LeaseRecord> | null;
    if (typeof r?.expires_at !== 'string' || Number.isNaN(Date.parse(r.expires_at))) return undefined;
    return r as LeaseRecord;
  } catch {
    return undefined;
  }
}
