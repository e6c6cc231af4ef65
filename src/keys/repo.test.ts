import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/index.js';
import { openDatabase, type Db } from '../store/index.js';
import { hashKey } from './key-format.js';
import { DEFAULT_KEY_LIMITS, KeyRepo, parseKey } from './index.js';

const dirs: string[] = [];
const open: Db[] = [];

async function openDb(): Promise<{ db: Db; dir: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-keys-'));
  dirs.push(dir);
  const db = openDatabase(dir);
  open.push(db);
  return { db, dir };
}

afterEach(async () => {
  for (const db of open.splice(0)) if (db.open) db.close();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const T0 = new Date('2024-03-09T07:05:04.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describe('KeyRepo', () => {
  it('creates a key with default limits, returns the plain key once and stores only its sha256', async () => {
    const { db } = await openDb();
    const repo = new KeyRepo(db);
    const { record, key } = repo.create('ci-bot', {}, T0);

    expect(parseKey(key)).toEqual({ id: record.id });
    expect(record).toEqual({
      id: record.id,
      name: 'ci-bot',
      created_at: T0.toISOString(),
      revoked_at: null,
      rate_per_s: DEFAULT_KEY_LIMITS.ratePerS,
      burst: DEFAULT_KEY_LIMITS.burst,
      daily_quota: DEFAULT_KEY_LIMITS.dailyQuota,
      max_concurrent: DEFAULT_KEY_LIMITS.maxConcurrent,
      max_timeout_s: null,
      max_turns: null,
      max_upload_files: null,
      max_upload_mb: null,
      max_budget_usd: null,
      max_memory_mb: null,
      max_pids: null,
      max_cpus: null,
      max_disk_mb: null,
      max_queued: null,
      storage_quota_mb: null,
      budget_usd_day: null,
      budget_usd_month: null,
    });
    expect(repo.get(record.id)).toEqual(record);
    expect(record).not.toHaveProperty('hash');

    const stored = db.prepare('SELECT * FROM api_keys').all() as Array<Record<string, unknown>>;
    expect(stored).toHaveLength(1);
    expect((stored[0]?.hash as Buffer).equals(hashKey(key))).toBe(true);
    // The secret appears nowhere in the row.
    expect(JSON.stringify(stored)).not.toContain(key.slice(17));
  });

  it('stores custom limits and refuses bad names and limits without writing anything', async () => {
    const { db } = await openDb();
    const repo = new KeyRepo(db);
    const { record } = repo.create('tight', { ratePerS: 0.5, burst: 2, dailyQuota: 7, maxConcurrent: 1 }, T0);
    expect(record).toMatchObject({ rate_per_s: 0.5, burst: 2, daily_quota: 7, max_concurrent: 1 });

    expect(() => repo.create('', {}, T0)).toThrow(ValidationError);
    expect(() => repo.create('x', { burst: 0 }, T0)).toThrow(/burst must be a whole number from 1 to 100000/);
    expect(repo.list()).toHaveLength(1);
  });

  it('lists newest first, revoked keys included', async () => {
    const { db } = await openDb();
    const repo = new KeyRepo(db);
    const a = repo.create('a', {}, at(0)).record;
    const c = repo.create('c', {}, at(20)).record;
    const b = repo.create('b', {}, at(10)).record;
    repo.revoke(c.id, at(30));
    const sameTime = [repo.create('d', {}, at(40)).record, repo.create('e', {}, at(40)).record].sort((x, y) => (x.id < y.id ? -1 : 1));

    expect(repo.list().map((k) => k.id)).toEqual([...sameTime.map((k) => k.id), c.id, b.id, a.id]);
    expect(repo.list()[2]?.revoked_at).toBe(at(30).toISOString());
  });

  it('revokes once: a second revoke keeps the first time; unknown ids give undefined', async () => {
    const { db } = await openDb();
    const repo = new KeyRepo(db);
    const { record } = repo.create('k', {}, T0);

    expect(repo.revoke(record.id, at(5))?.revoked_at).toBe(at(5).toISOString());
    expect(repo.revoke(record.id, at(9))?.revoked_at).toBe(at(5).toISOString());
    expect(repo.revoke('000000000000', at(9))).toBeUndefined();
  });

  it('authenticates the exact key only, and not once it is revoked', async () => {
    const { db } = await openDb();
    const repo = new KeyRepo(db);
    const { record, key } = repo.create('k', {}, T0);
    const other = repo.create('other', {}, T0);

    expect(repo.authenticate(key)).toEqual(record);
    expect(repo.authenticate(other.key)?.id).toBe(other.record.id);

    // Right id, wrong secret (well-formed): refused.
    const last = key.at(-1) === 'A' ? 'E' : 'A';
    expect(repo.authenticate(key.slice(0, -1) + last)).toBeUndefined();
    // Another key's secret under this id: refused.
    expect(repo.authenticate(`cca_${record.id}_${other.key.slice(17)}`)).toBeUndefined();
    // Unknown id, malformed strings: refused.
    expect(repo.authenticate(`cca_000000000000_${key.slice(17)}`)).toBeUndefined();
    expect(repo.authenticate('')).toBeUndefined();
    expect(repo.authenticate(`${key} `)).toBeUndefined();

    repo.revoke(record.id, at(1));
    expect(repo.authenticate(key)).toBeUndefined();
    expect(repo.authenticate(other.key)?.id).toBe(other.record.id);
  });

  it('counts active keys, and keys survive reopening the database', async () => {
    const { db, dir } = await openDb();
    const repo = new KeyRepo(db);
    expect(repo.countActive()).toBe(0);
    const { key } = repo.create('a', {}, T0);
    const b = repo.create('b', {}, T0).record;
    repo.create('c', {}, T0);
    repo.revoke(b.id, at(1));
    expect(repo.countActive()).toBe(2);
    db.close();

    const reopened = new KeyRepo(openDatabase(dir));
    expect(reopened.countActive()).toBe(2);
    expect(reopened.authenticate(key)?.name).toBe('a');
  });
});

describe('KeyRepo run caps', () => {
  it('stores caps on timeout, turns and budget, and refuses bad ones', async () => {
    const repo = new KeyRepo(openDatabase(await mkdtemp(path.join(os.tmpdir(), 'cca-caps-'))));
    const { record } = repo.create('capped', { maxTimeoutS: 60, maxTurns: 5, maxBudgetUsd: 0.25 });
    expect(record).toMatchObject({ max_timeout_s: 60, max_turns: 5, max_budget_usd: 0.25 });
    expect(() => repo.create('bad', { maxTurns: 0 })).toThrow(/maxTurns must be a whole number/);
    expect(() => repo.create('bad', { maxBudgetUsd: -1 })).toThrow(/maxBudgetUsd must be a number greater than 0/);
  });

  it('stores caps on memory, processes, CPUs and disk, read back on authentication, and refuses bad ones', async () => {
    const repo = new KeyRepo(openDatabase(await mkdtemp(path.join(os.tmpdir(), 'cca-caps-'))));
    const { record, key } = repo.create('small', { maxMemoryMb: 256, maxPids: 64, maxCpus: 0.5, maxDiskMb: 20 });
    expect(repo.authenticate(key)).toMatchObject({ max_memory_mb: 256, max_pids: 64, max_cpus: 0.5, max_disk_mb: 20 });
    expect(record.max_timeout_s).toBeNull();
    expect(() => repo.create('bad', { maxMemoryMb: 10 })).toThrow(/maxMemoryMb must be a whole number from 64/);
    expect(() => repo.create('bad', { maxPids: 8 })).toThrow(/maxPids must be a whole number from 16/);
    expect(() => repo.create('bad', { maxCpus: 0 })).toThrow(/maxCpus must be a number from 0.01/);
    expect(() => repo.create('bad', { maxDiskMb: 1.5 })).toThrow(/maxDiskMb must be a whole number/);
  });

  it('stores shares of the queue and of storage (null: the server default), and refuses bad ones', async () => {
    const { db } = await openDb();
    const repo = new KeyRepo(db);
    expect(repo.create('shared', { maxQueued: 0, storageQuotaMb: 512 }).record).toMatchObject({ max_queued: 0, storage_quota_mb: 512 });
    expect(() => repo.create('bad', { maxQueued: -1 })).toThrow(/maxQueued must be a whole number from 0/);
    expect(() => repo.create('bad', { storageQuotaMb: 1.5 })).toThrow(/storageQuotaMb must be a whole number from 0/);
  });

  it('updates only the settings given, null restoring a default, and refuses bad values without writing', async () => {
    const { db } = await openDb();
    const repo = new KeyRepo(db);
    const { record } = repo.create('ci', { maxTurns: 5, storageQuotaMb: 100 }, T0);
    const updated = repo.update(record.id, { maxQueued: 3, storageQuotaMb: null, burst: 7 });
    expect(updated).toEqual({ ...record, max_queued: 3, storage_quota_mb: null, burst: 7 });
    expect(repo.get(record.id)).toEqual(updated);
    expect(() => repo.update(record.id, { maxConcurrent: 0 })).toThrow(ValidationError);
    expect(() => repo.update(record.id, { maxQueued: -2 })).toThrow(/maxQueued/);
    expect(repo.get(record.id)).toEqual(updated);
    expect(repo.update('nope', { maxQueued: 1 })).toBeUndefined();
  });
});
