import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyRepo } from '../keys/index.js';
import { openDatabase, type Db } from '../store/index.js';
import { StorageLedger } from './storage-ledger.js';

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) db.close();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A database with two keys, each owning one session. */
async function setup(): Promise<{ db: Db; ledger: StorageLedger; k1: string; k2: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-ledger-'));
  dirs.push(dir);
  const db = openDatabase(dir);
  dbs.push(db);
  const keys = new KeyRepo(db);
  const k1 = keys.create('one').record.id;
  const k2 = keys.create('two').record.id;
  const now = new Date().toISOString();
  const session = db.prepare('INSERT INTO sessions (id, created_at, updated_at, owner_key_id) VALUES (?, ?, ?, ?)');
  session.run('s1', now, now, k1);
  session.run('s2', now, now, k2);
  session.run('anon', now, now, null);
  return { db, ledger: new StorageLedger(db), k1, k2 };
}

const file = (sessionId: string, key: string, size: number) => ({ sessionId, invocationId: 'i', key, size });

describe('StorageLedger', () => {
  it("counts each key's stored bytes through the session's owner, once per key, and gives them back when forgotten", async () => {
    const { ledger, k1, k2 } = await setup();
    ledger.record(file('s1', 'outputs/a/x', 100));
    ledger.record(file('s1', 'outputs/a/y', 50));
    ledger.record(file('s1', 'outputs/a/y', 50)); // a retry of the same key
    ledger.record(file('s2', 'outputs/b/x', 7));
    ledger.record(file('anon', 'outputs/c/x', 1000)); // the unauthenticated runtime: no key to count against
    expect([ledger.usedBytes(k1), ledger.usedBytes(k2)]).toEqual([150, 7]);
    ledger.forget(['outputs/a/x', 'outputs/c/x']);
    expect([ledger.usedBytes(k1), ledger.usedBytes(k2)]).toEqual([50, 7]);
  });

  it('admits files in order while they fit, skips the rest with a reason, and reserves what it admitted until released', async () => {
    const { ledger, k1 } = await setup();
    ledger.record(file('s1', 'outputs/old', 40));
    const files = [
      { path: 'a.txt', size: 30 },
      { path: 'big.bin', size: 50 },
      { path: 'b.txt', size: 30 },
    ];
    const first = ledger.admit(files, k1, 100);
    expect(first.files.map((f) => f.path)).toEqual(['a.txt', 'b.txt']);
    expect(first.skipped).toEqual([
      { path: 'big.bin', file_name: 'big.bin', reason: 'storage_quota', detail: expect.stringMatching(/storage quota of 100 bytes/) },
    ]);
    expect(ledger.heldBytes(k1)).toBe(100);
    // A second run of the same key storing at the same time finds no room left.
    const second = ledger.admit([{ path: 'c.txt', size: 1 }], k1, 100);
    expect(second.files).toEqual([]);
    second.release();
    // Stored and recorded, then released: the bytes are counted once.
    ledger.record(file('s1', 'outputs/a.txt', 30));
    first.release();
    first.release();
    expect(ledger.heldBytes(k1)).toBe(70);
  });

  it('lets everything through without an owner or with quota 0', async () => {
    const { ledger, k1 } = await setup();
    const files = [{ path: 'x', size: 10 ** 12 }];
    expect(ledger.admit(files, undefined, 1).files).toEqual(files);
    expect(ledger.admit(files, k1, 0).files).toEqual(files);
    expect(ledger.heldBytes(k1)).toBe(0);
  });

  it('lists files stored before a time, oldest first', async () => {
    const { ledger } = await setup();
    ledger.record(file('s1', 'outputs/new', 1), new Date('2025-03-01T00:00:00Z'));
    ledger.record(file('s1', 'outputs/old', 1), new Date('2025-01-01T00:00:00Z'));
    ledger.record(file('s2', 'outputs/mid', 1), new Date('2025-02-01T00:00:00Z'));
    expect(ledger.storedBefore(new Date('2025-02-15T00:00:00Z'), 10).map((o) => o.object_key)).toEqual(['outputs/old', 'outputs/mid']);
    expect(ledger.storedBefore(new Date('2025-02-15T00:00:00Z'), 1).map((o) => o.object_key)).toEqual(['outputs/old']);
  });

  it('counts the uploads invocations recorded before the ledger existed (the migration fills it)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-ledger-mig-'));
    dirs.push(dir);
    const Database = (await import('better-sqlite3')).default;
    const { MIGRATIONS } = await import('../store/migrations.js');
    const old = new Database(path.join(dir, 'cca.db'));
    for (const sql of MIGRATIONS.slice(0, 4)) old.exec(sql);
    old.pragma('user_version = 4');
    const now = '2025-01-02T03:04:05.000Z';
    old
      .prepare(
        `INSERT INTO api_keys (id, name, hash, created_at, rate_per_s, burst, daily_quota, max_concurrent) VALUES ('k', 'k', x'00', ?, 1, 1, 1, 1)`,
      )
      .run(now);
    old.prepare(`INSERT INTO sessions (id, created_at, updated_at, owner_key_id) VALUES ('s', ?, ?, 'k')`).run(now, now);
    const output = {
      output: {
        metadata: {
          uploaded_files: [
            { key: 'outputs/p/a.txt', size: 11 },
            { key: 'outputs/p/b.txt', size: 22 },
          ],
        },
      },
    };
    const insert = old.prepare(
      `INSERT INTO invocations (id, session_id, started_at, ended_at, status, prompt, request_json, output_json) VALUES (?, 's', ?, ?, 'succeeded', 'p', '{}', ?)`,
    );
    insert.run('i1', now, now, JSON.stringify(output));
    insert.run('i2', now, now, 'not json');
    insert.run('i3', now, null, null);
    old.close();
    const db = openDatabase(dir);
    dbs.push(db);
    const ledger = new StorageLedger(db);
    expect(ledger.usedBytes('k')).toBe(33);
    expect(ledger.storedBefore(new Date('2030-01-01T00:00:00Z'), 10)).toEqual([
      { object_key: 'outputs/p/a.txt', owner_key_id: 'k', session_id: 's', invocation_id: 'i1', size: 11, stored_at: now },
      { object_key: 'outputs/p/b.txt', owner_key_id: 'k', session_id: 's', invocation_id: 'i1', size: 22, stored_at: now },
    ]);
  });
});
