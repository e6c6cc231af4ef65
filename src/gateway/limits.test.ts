import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyRepo, type ApiKeyRecord, type KeyLimits } from '../keys/index.js';
import { openDatabase, type Db } from '../store/index.js';
import { RequestLimiter, type LimitDecision } from './limits.js';

const dirs: string[] = [];
const open: Db[] = [];

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-limits-'));
  dirs.push(dir);
  return dir;
}

function openDb(dir: string): Db {
  const db = openDatabase(dir);
  open.push(db);
  return db;
}

afterEach(async () => {
  for (const db of open.splice(0)) if (db.open) db.close();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const T0 = Date.parse('2024-03-09T12:00:00.000Z');

async function setup(limits: Partial<KeyLimits> = {}): Promise<{ dir: string; db: Db; key: ApiKeyRecord; limiter: RequestLimiter }> {
  const dir = await freshDir();
  const db = openDb(dir);
  const key = new KeyRepo(db).create('test', limits, new Date(T0)).record;
  return { dir, db, key, limiter: new RequestLimiter(db) };
}

function takeMany(limiter: RequestLimiter, key: ApiKeyRecord, n: number, nowMs: number): LimitDecision[] {
  return Array.from({ length: n }, () => limiter.take(key, nowMs));
}

const oks = (ds: LimitDecision[]) => ds.filter((d) => d.ok).length;
const kinds = (ds: LimitDecision[]) => ds.map((d) => (d.ok ? 'ok' : d.kind));

describe('RequestLimiter: token bucket', () => {
  it('admits exactly the burst at one instant, then the refill: 20 of 30, then 5 after 0.5 s', async () => {
    const { key, limiter } = await setup({ ratePerS: 10, burst: 20 });
    const first = takeMany(limiter, key, 30, T0);
    expect(kinds(first)).toEqual([...Array(20).fill('ok'), ...Array(10).fill('throttled')]);
    expect(first[20]).toEqual({ ok: false, kind: 'throttled', retryAfterS: 1 });

    expect(oks(takeMany(limiter, key, 10, T0 + 500))).toBe(5);
    expect(oks(takeMany(limiter, key, 10, T0 + 500))).toBe(0);
  });

  it('answers Retry-After as the whole seconds until the next token, at least 1', async () => {
    const { key, limiter } = await setup({ ratePerS: 0.5, burst: 1 });
    expect(limiter.take(key, T0).ok).toBe(true);
    expect(limiter.take(key, T0)).toEqual({ ok: false, kind: 'throttled', retryAfterS: 2 });
    expect(limiter.take(key, T0 + 500)).toMatchObject({ retryAfterS: 2 }); // 1.5 s to go
    expect(limiter.take(key, T0 + 1000)).toMatchObject({ retryAfterS: 1 }); // exactly 1 s to go
    expect(limiter.take(key, T0 + 1999)).toMatchObject({ retryAfterS: 1 }); // 1 ms to go
    expect(limiter.take(key, T0 + 2000).ok).toBe(true);

    const slow = await setup({ ratePerS: 0.01, burst: 1 });
    slow.limiter.take(slow.key, T0);
    expect(slow.limiter.take(slow.key, T0)).toMatchObject({ kind: 'throttled', retryAfterS: 100 });
  });

  it('never mints tokens when the clock steps back, nor credits the same interval twice', async () => {
    const { key, limiter } = await setup({ ratePerS: 10, burst: 20 });
    expect(oks(takeMany(limiter, key, 19, T0))).toBe(19);
    // One token left: spent at a time 5 s in the past...
    expect(limiter.take(key, T0 - 5000).ok).toBe(true);
    expect(limiter.take(key, T0 - 5000)).toEqual({ ok: false, kind: 'throttled', retryAfterS: 1 });
    // ...and back at T0 those 5 s are not refilled.
    expect(limiter.take(key, T0).ok).toBe(false);
    expect(oks(takeMany(limiter, key, 5, T0 + 100))).toBe(1);
  });

  it('keeps two keys independent', async () => {
    const { db, key, limiter } = await setup({ ratePerS: 1, burst: 3, dailyQuota: 5 });
    const other = new KeyRepo(db).create('other', { ratePerS: 1, burst: 3, dailyQuota: 5 }, new Date(T0)).record;
    expect(oks(takeMany(limiter, key, 10, T0))).toBe(3);
    expect(oks(takeMany(limiter, other, 10, T0))).toBe(3);
    expect(limiter.usedToday(key.id, T0)).toBe(3);
    expect(limiter.usedToday(other.id, T0)).toBe(3);
  });
});

describe('RequestLimiter: daily quota', () => {
  it('admits request 1000, refuses 1001 until 00:00:00.000 UTC, with Retry-After to midnight', async () => {
    const { key, limiter } = await setup({ ratePerS: 10_000, burst: 100_000, dailyQuota: 1000 });
    const day = takeMany(limiter, key, 1000, T0);
    expect(day.every((d) => d.ok)).toBe(true);
    expect(day[0]).toEqual({ ok: true, remainingQuota: 999 });
    expect(day[999]).toEqual({ ok: true, remainingQuota: 0 });

    expect(limiter.take(key, T0)).toEqual({ ok: false, kind: 'quota', retryAfterS: 12 * 3600 });
    const lastMs = Date.parse('2024-03-09T23:59:59.999Z');
    expect(limiter.take(key, lastMs)).toEqual({ ok: false, kind: 'quota', retryAfterS: 1 });
    expect(limiter.take(key, Date.parse('2024-03-09T23:59:58.500Z'))).toMatchObject({ retryAfterS: 2 });
    expect(limiter.usedToday(key.id, lastMs)).toBe(1000);

    const midnight = Date.parse('2024-03-10T00:00:00.000Z');
    expect(limiter.take(key, midnight)).toEqual({ ok: true, remainingQuota: 999 });
    expect(limiter.usedToday(key.id, midnight)).toBe(1);
  });

  it('does not count throttled requests toward the quota', async () => {
    const { key, limiter } = await setup({ ratePerS: 1, burst: 2, dailyQuota: 3 });
    expect(kinds(takeMany(limiter, key, 5, T0))).toEqual(['ok', 'ok', 'throttled', 'throttled', 'throttled']);
    expect(limiter.usedToday(key.id, T0)).toBe(2);
    expect(limiter.take(key, T0 + 1000)).toEqual({ ok: true, remainingQuota: 0 });
    expect(limiter.take(key, T0 + 2000)).toMatchObject({ ok: false, kind: 'quota' });
  });

  it('a request outside the quota (a read) takes a token but never spends the quota, nor is refused for it', async () => {
    const { key, limiter } = await setup({ ratePerS: 1, burst: 2, dailyQuota: 1 });
    expect(limiter.take(key, T0, false)).toEqual({ ok: true, remainingQuota: 1 });
    expect(limiter.usedToday(key.id, T0)).toBe(0);
    expect(limiter.take(key, T0, true)).toEqual({ ok: true, remainingQuota: 0 });
    expect(limiter.take(key, T0 + 1000, true)).toMatchObject({ ok: false, kind: 'quota' });
    expect(limiter.take(key, T0 + 1000, false).ok).toBe(true); // over quota, a read passes
    expect(limiter.take(key, T0 + 1000, false)).toMatchObject({ ok: false, kind: 'throttled' }); // but not the bucket
    expect(limiter.usedToday(key.id, T0 + 1000)).toBe(1);
  });

  it('does not spend a token on a request refused for quota', async () => {
    // Refill is negligible (0.04 tokens by midnight): only an unspent token can admit the next day.
    const { key, limiter } = await setup({ ratePerS: 0.000001, burst: 2, dailyQuota: 1 });
    expect(limiter.take(key, T0).ok).toBe(true);
    expect(kinds(takeMany(limiter, key, 3, T0))).toEqual(['quota', 'quota', 'quota']);
    const nextDay = Date.parse('2024-03-10T00:00:00.000Z');
    expect(limiter.take(key, nextDay).ok).toBe(true);
    expect(limiter.take(key, nextDay + 1)).toMatchObject({ ok: false, kind: 'throttled' });
  });

  it('prunes usage rows older than 7 days', async () => {
    const { db, key, limiter } = await setup();
    const dayMs = 86_400_000;
    limiter.take(key, T0 - 10 * dayMs);
    limiter.take(key, T0 - 7 * dayMs);
    limiter.take(key, T0);
    const days = db.prepare('SELECT day FROM key_usage ORDER BY day').pluck().all();
    expect(days).toEqual(['2024-03-02', '2024-03-09']);
  });
});

describe('RequestLimiter: shared state', () => {
  it('survives closing and reopening the database file', async () => {
    const { dir, db, key, limiter } = await setup({ ratePerS: 10, burst: 20, dailyQuota: 25 });
    expect(oks(takeMany(limiter, key, 20, T0))).toBe(20);
    db.close();

    const reopened = new RequestLimiter(openDb(dir));
    expect(reopened.take(key, T0)).toMatchObject({ ok: false, kind: 'throttled' });
    expect(reopened.usedToday(key.id, T0)).toBe(20);
    expect(oks(takeMany(reopened, key, 10, T0 + 1000))).toBe(5);
    expect(reopened.take(key, T0 + 1000)).toMatchObject({ ok: false, kind: 'quota' });
  });

  it('agrees across two connections to one data directory', async () => {
    const { dir, key, limiter } = await setup({ ratePerS: 10, burst: 20 });
    const second = new RequestLimiter(openDb(dir));
    const decisions = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? limiter : second).take(key, T0));
    expect(oks(decisions)).toBe(20);
    expect(second.usedToday(key.id, T0)).toBe(20);
  });
});
