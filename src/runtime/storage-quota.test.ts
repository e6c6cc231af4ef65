import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageLedger } from '../artifacts/index.js';
import { StorageQuotaError, toErrorResponse } from '../errors/index.js';
import { openDatabase, type Db } from '../store/index.js';
import { assertStorageRoom, storageForRun, type StorageQuota } from './storage-quota.js';

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) db.close();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function quota(bytes: number, retentionDays = 30): Promise<StorageQuota> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-quota-'));
  dirs.push(dir);
  const db = openDatabase(dir);
  dbs.push(db);
  const now = new Date().toISOString();
  db.prepare(
    `INSERT INTO api_keys (id, name, hash, created_at, rate_per_s, burst, daily_quota, max_concurrent) VALUES ('k', 'k', x'00', ?, 1, 1, 1, 1)`,
  ).run(now);
  db.prepare(`INSERT INTO sessions (id, created_at, updated_at, owner_key_id) VALUES ('s', ?, ?, 'k')`).run(now, now);
  return { ledger: new StorageLedger(db), quotaBytes: () => bytes, retentionDays };
}

const stored = (key: string, size: number) => ({
  file_name: key,
  key,
  size,
  sha256: '',
  content_type: '',
  s3_url: '',
  console_url: '',
  download_url: '',
  expires_at: '',
});

describe('assertStorageRoom', () => {
  it('lets a key under its quota run, and refuses one at it with a 507 that says what to do', async () => {
    const storage = await quota(100);
    const run = storageForRun(storage, 'k', 's', 'i');
    run.record(stored('outputs/a', 99));
    expect(() => assertStorageRoom(storage, 'k')).not.toThrow();
    run.record(stored('outputs/b', 1));
    let refused: unknown;
    try {
      assertStorageRoom(storage, 'k');
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(StorageQuotaError);
    const response = toErrorResponse(refused);
    expect(response.status).toBe(507);
    expect(response.body).toMatchObject({ code: 'storage_quota_exceeded', used_bytes: 100, quota_bytes: 100 });
    expect(response.body.message).toMatch(/100 bytes of its 100-byte storage quota.*deleted 30 days after.*--storage-quota MB/);
  });

  it('counts bytes a running upload reserved, and never limits without a key or with quota 0', async () => {
    const storage = await quota(100);
    const admitted = storageForRun(storage, 'k', 's', 'i').quota?.([
      { path: 'x', kind: 'file', size: 100, mtimeNs: 0n, ctimeNs: 0n, ino: 1n, dev: 1n, nlink: 1 },
    ]);
    expect(() => assertStorageRoom(storage, 'k')).toThrow(StorageQuotaError);
    admitted?.release();
    expect(() => assertStorageRoom(storage, 'k')).not.toThrow();
    expect(() => assertStorageRoom(storage, undefined)).not.toThrow();
    const unlimited = await quota(0);
    storageForRun(unlimited, 'k', 's', 'i').record(stored('outputs/huge', 10 ** 12));
    expect(() => assertStorageRoom(unlimited, 'k')).not.toThrow();
    expect(storageForRun(unlimited, undefined, 's', 'i').quota).toBeUndefined();
  });
});
