/**
 * Per-key request limits: a token bucket (rate and burst) for every request, and a quota per UTC
 * day for the requests that start work or store files (invocations and uploads), so a caller
 * polling an async run's status does not spend the day's runs. State lives in SQLite so a restart
 * does not hand out a fresh burst and quota, and two processes on one data directory count together.
 */
import type { ApiKeyRecord } from '../keys/index.js';
import type { Db } from '../store/index.js';

/** Admitted (with the quota left today), or refused with the seconds to wait. */
export type LimitDecision = { ok: true; remainingQuota: number } | { ok: false; kind: 'throttled' | 'quota'; retryAfterS: number };

const DAY_MS = 86_400_000;
const USAGE_KEPT_DAYS = 7;
// Absorbs floating-point noise in refills (0.1 * 10 is not always exactly 1) so a token that is
// due is granted and a wait that is exactly 2 s is not announced as 3 s.
const EPSILON = 1e-9;

/** `YYYY-MM-DD` of the UTC day holding `ms`; sorts like the days it names. */
function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Whole seconds (at least 1) a client must wait; Retry-After cannot say "now". */
function retryAfter(seconds: number): number {
  return Math.max(1, Math.ceil(seconds - EPSILON));
}

/** Token bucket then daily quota for each API key, checked and counted in one transaction. */
export class RequestLimiter {
  private readonly stmts;
  private readonly takeTx;
  private prunedDay: string | undefined;

  constructor(db: Db) {
    this.stmts = {
      bucket: db.prepare<[string], { tokens: number; updated_ms: number }>('SELECT tokens, updated_ms FROM key_buckets WHERE key_id = ?'),
      saveBucket: db.prepare(
        `INSERT INTO key_buckets (key_id, tokens, updated_ms) VALUES (?, ?, ?)
         ON CONFLICT (key_id) DO UPDATE SET tokens = excluded.tokens, updated_ms = excluded.updated_ms`,
      ),
      used: db.prepare<[string, string], { requests: number }>('SELECT requests FROM key_usage WHERE key_id = ? AND day = ?'),
      count: db.prepare(
        `INSERT INTO key_usage (key_id, day, requests) VALUES (?, ?, 1)
         ON CONFLICT (key_id, day) DO UPDATE SET requests = requests + 1`,
      ),
      prune: db.prepare('DELETE FROM key_usage WHERE day < ?'),
    };
    const tx = db.transaction((key: ApiKeyRecord, nowMs: number, quota: boolean) => this.decide(key, nowMs, quota));
    // IMMEDIATE takes the write lock before reading: a deferred transaction that read the bucket
    // and then found another process had written would fail with SQLITE_BUSY instead of waiting.
    this.takeTx = (key: ApiKeyRecord, nowMs: number, quota: boolean) => tx.immediate(key, nowMs, quota);
  }

  /**
   * Admits or refuses one request of `key` at `nowMs` (epoch ms); `quota`: it also needs, and
   * when admitted spends, one of the day's quota (invocations and uploads; reads do not).
   * @example const d = limiter.take(key, Date.now(), true); if (!d.ok) throw d.kind === 'quota' ? new QuotaExceededError(d.retryAfterS) : new ThrottledError(d.retryAfterS);
   */
  take(key: ApiKeyRecord, nowMs: number, quota = true): LimitDecision {
    return this.takeTx(key, nowMs, quota);
  }

  /** Requests counted against the quota today (UTC) for a key, for `cca keys list`. */
  usedToday(keyId: string, nowMs: number): number {
    return this.stmts.used.get(keyId, utcDay(nowMs))?.requests ?? 0;
  }

  private decide(key: ApiKeyRecord, nowMs: number, quota: boolean): LimitDecision {
    const today = utcDay(nowMs);
    this.pruneOncePerDay(today, nowMs);

    const saved = this.stmts.bucket.get(key.id);
    // A clock that steps back refills nothing, and the bucket keeps its later timestamp so the
    // same interval is not credited twice once the clock catches up again.
    const updatedMs = saved === undefined ? nowMs : Math.max(saved.updated_ms, nowMs);
    const elapsedMs = saved === undefined ? 0 : updatedMs - saved.updated_ms;
    // min() also trims a bucket saved under a larger burst than the key has now.
    const tokens = Math.min(key.burst, (saved?.tokens ?? key.burst) + (elapsedMs * key.rate_per_s) / 1000);
    if (tokens < 1 - EPSILON) {
      // Nothing written: the refill is a function of (tokens, updated_ms), so a flood of refused
      // requests costs no writes.
      return { ok: false, kind: 'throttled', retryAfterS: retryAfter((1 - tokens) / key.rate_per_s) };
    }

    const used = this.stmts.used.get(key.id, today)?.requests ?? 0;
    if (!quota) {
      this.stmts.saveBucket.run(key.id, Math.max(0, tokens - 1), updatedMs);
      return { ok: true, remainingQuota: Math.max(0, key.daily_quota - used) };
    }
    if (used >= key.daily_quota) {
      // The token is not spent either, so a client over quota keeps hearing "Limit Exceeded"
      // with the wait until midnight rather than a misleading 1 s throttle.
      const nextMidnightMs = Date.parse(`${today}T00:00:00.000Z`) + DAY_MS;
      return { ok: false, kind: 'quota', retryAfterS: retryAfter((nextMidnightMs - nowMs) / 1000) };
    }

    this.stmts.saveBucket.run(key.id, Math.max(0, tokens - 1), updatedMs);
    this.stmts.count.run(key.id, today);
    return { ok: true, remainingQuota: key.daily_quota - used - 1 };
  }

  /** Drops usage older than a week, once per UTC day per process, so key_usage stays small. */
  private pruneOncePerDay(today: string, nowMs: number): void {
    if (this.prunedDay === today) return;
    this.prunedDay = today;
    this.stmts.prune.run(utcDay(nowMs - USAGE_KEPT_DAYS * DAY_MS));
  }
}
