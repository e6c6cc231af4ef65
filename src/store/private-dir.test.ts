import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './db.js';
import { DataDirPermissionError, makeDataDirPrivate } from './private-dir.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function parent(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-private-'));
  dirs.push(dir);
  return dir;
}

const modeOf = (p: string) => fs.statSync(p).mode & 0o777;

/** Runs `fn` under the usual umask (022), which would leave new files world-readable. */
function withUmask<T>(fn: () => T): T {
  const previous = process.umask(0o022);
  try {
    return fn();
  } finally {
    process.umask(previous);
  }
}

describe('openDatabase and a new data dir', () => {
  it('creates the data dir 0700 and the database with its -wal and -shm 0600', async () => {
    const dataDir = path.join(await parent(), 'data');
    const db = withUmask(() => openDatabase(dataDir));
    try {
      db.prepare('CREATE TABLE t (x)').run(); // a write, so the WAL and shared memory exist
      expect(modeOf(dataDir)).toBe(0o700);
      for (const name of ['cca.db', 'cca.db-wal', 'cca.db-shm']) expect([name, modeOf(path.join(dataDir, name))]).toEqual([name, 0o600]);
    } finally {
      db.close();
    }
  });
});

describe('makeDataDirPrivate on a data dir an older release left readable', () => {
  it('tightens the dir, its top folders and its secret files, without walking below them', async () => {
    const dataDir = path.join(await parent(), 'data');
    withUmask(() => {
      fs.mkdirSync(path.join(dataDir, 'artifacts/outputs/p'), { recursive: true, mode: 0o755 });
      fs.mkdirSync(path.join(dataDir, 'sessions/s1/workspace'), { recursive: true, mode: 0o755 });
      fs.mkdirSync(path.join(dataDir, 'logs'), { mode: 0o755 });
      for (const name of ['cca.db', 'cca.db-wal', 'cca.db-shm', '.signing_key', '.api_key', 'logs/cca.log', 'artifacts/outputs/p/a.txt']) {
        fs.writeFileSync(path.join(dataDir, name), 'x', { mode: 0o644 });
      }
    });
    fs.chmodSync(dataDir, 0o755);
    makeDataDirPrivate(dataDir);
    expect(modeOf(dataDir)).toBe(0o700);
    for (const name of ['artifacts', 'sessions', 'logs']) expect([name, modeOf(path.join(dataDir, name))]).toEqual([name, 0o700]);
    for (const name of ['cca.db', 'cca.db-wal', 'cca.db-shm', '.signing_key', '.api_key']) {
      expect([name, modeOf(path.join(dataDir, name))]).toEqual([name, 0o600]);
    }
    // Deeper entries are not visited: the 0700 folders above them already keep other users out.
    expect(modeOf(path.join(dataDir, 'artifacts/outputs/p/a.txt'))).toBe(0o644);
  });

  it('does not follow a link at the top of the data dir', async () => {
    const base = await parent();
    const dataDir = path.join(base, 'data');
    const elsewhere = path.join(base, 'volume');
    fs.mkdirSync(dataDir);
    fs.mkdirSync(elsewhere, { mode: 0o755 });
    fs.chmodSync(elsewhere, 0o755);
    fs.symlinkSync(elsewhere, path.join(dataDir, 'artifacts'));
    makeDataDirPrivate(dataDir);
    expect(modeOf(elsewhere)).toBe(0o755);
  });

  it.skipIf(process.getuid?.() === 0)('says what to do when the data dir belongs to another user', () => {
    expect(() => makeDataDirPrivate('/')).toThrow(DataDirPermissionError);
    expect(() => makeDataDirPrivate('/')).toThrow(/run the service as the owner of its data dir/);
  });
});
