import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../store/index.js';
import { RetentionSweep } from './retention.js';
import { StorageLedger } from './storage-ledger.js';
import type { ArtifactStore } from './store.js';

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) db.close();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const NOW = new Date('2025-06-30T12:00:00Z');
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 86_400_000);

async function setup() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-retention-'));
  dirs.push(dir);
  const db = openDatabase(dir);
  dbs.push(db);
  const now = NOW.toISOString();
  db.prepare(
    `INSERT INTO api_keys (id, name, hash, created_at, rate_per_s, burst, daily_quota, max_concurrent) VALUES ('k', 'k', x'00', ?, 1, 1, 1, 1)`,
  ).run(now);
  db.prepare(`INSERT INTO sessions (id, created_at, updated_at, owner_key_id) VALUES ('s', ?, ?, 'k')`).run(now, now);
  const ledger = new StorageLedger(db);
  const deleted: string[] = [];
  let failOn: string | undefined;
  const store: ArtifactStore = {
    kind: 'local',
    put: async () => {},
    links: () => ({ s3_url: '', console_url: '', download_url: '', expires_at: '' }),
    delete: async (key) => {
      if (key === failOn) throw new Error('store down');
      deleted.push(key);
    },
  };
  const record = (key: string, at: Date) => ledger.record({ sessionId: 's', invocationId: 'i', key, size: 10 }, at);
  return { ledger, store, deleted, record, failAt: (key: string | undefined) => (failOn = key) };
}

describe('RetentionSweep', () => {
  it('deletes files older than the retention period, in batches, from the store and the ledger, and gives their bytes back', async () => {
    const { ledger, store, deleted, record } = await setup();
    for (let n = 0; n < 5; n++) record(`outputs/old/${n}`, daysAgo(31 + n));
    record('outputs/young', daysAgo(29));
    const sweep = new RetentionSweep(ledger, store, { retentionDays: 30, batchSize: 2, now: () => NOW });
    expect(await sweep.sweep()).toEqual({ deleted: 5, failed: 0 });
    expect(deleted.sort()).toEqual([0, 1, 2, 3, 4].map((n) => `outputs/old/${n}`));
    expect(ledger.usedBytes('k')).toBe(10);
    expect(await sweep.sweep()).toEqual({ deleted: 0, failed: 0 });
  });

  it('keeps a file the store could not delete (still counted) and stops the pass, to try again later', async () => {
    const { ledger, store, deleted, record, failAt } = await setup();
    record('outputs/a', daysAgo(40));
    record('outputs/b', daysAgo(39));
    record('outputs/c', daysAgo(38));
    failAt('outputs/b');
    const sweep = new RetentionSweep(ledger, store, { retentionDays: 30, now: () => NOW });
    expect(await sweep.sweep()).toEqual({ deleted: 1, failed: 1 });
    expect(ledger.usedBytes('k')).toBe(20);
    failAt(undefined);
    expect(await sweep.sweep()).toEqual({ deleted: 2, failed: 0 });
    expect(deleted).toEqual(['outputs/a', 'outputs/b', 'outputs/c']);
  });

  it('deletes nothing when retention is 0 (keep forever)', async () => {
    const { ledger, store, deleted, record } = await setup();
    record('outputs/ancient', daysAgo(10_000));
    const sweep = new RetentionSweep(ledger, store, { retentionDays: 0, now: () => NOW });
    expect(await sweep.sweep()).toEqual({ deleted: 0, failed: 0 });
    sweep.start(10);
    await new Promise((r) => setTimeout(r, 30));
    await sweep.stop();
    expect(deleted).toEqual([]);
  });

  it('sweeps at start and on its interval until stopped', async () => {
    const { ledger, store, deleted, record } = await setup();
    record('outputs/a', daysAgo(31));
    const sweep = new RetentionSweep(ledger, store, { retentionDays: 30, now: () => NOW });
    sweep.start(20);
    await new Promise((r) => setTimeout(r, 10));
    expect(deleted).toEqual(['outputs/a']);
    record('outputs/b', daysAgo(31));
    await new Promise((r) => setTimeout(r, 60));
    expect(deleted).toEqual(['outputs/a', 'outputs/b']);
    await sweep.stop();
    record('outputs/c', daysAgo(31));
    await new Promise((r) => setTimeout(r, 60));
    expect(deleted).toEqual(['outputs/a', 'outputs/b']);
  });
});
