import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/index.js';
import { openDatabase, type Db } from '../store/index.js';
import { gitCredentialHosts, GitCredentialStore, GitCredentialUnreadableError, KeyRepo, normalizeGitHost } from './index.js';

const TOKEN = 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz';
const dirs: string[] = [];
const open: Db[] = [];

async function setup(): Promise<{ db: Db; dir: string; keyId: string; sealingKey: Buffer }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-gitcred-'));
  dirs.push(dir);
  const db = openDatabase(dir);
  open.push(db);
  const keyId = new KeyRepo(db).create('ci-bot').record.id;
  return { db, dir, keyId, sealingKey: randomBytes(32) };
}

afterEach(async () => {
  for (const db of open.splice(0)) if (db.open) db.close();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('GitCredentialStore', () => {
  it('round-trips a token per key and host, lists only hosts, replaces and removes', async () => {
    const { db, keyId, sealingKey } = await setup();
    const other = new KeyRepo(db).create('other').record.id;
    const store = new GitCredentialStore(db, sealingKey);
    store.set(keyId, 'GitHub.com', TOKEN);
    store.set(keyId, 'git.example.com:8443', 'glpat-xyz');
    store.set(other, 'github.com', 'other-token');

    expect(store.gitCredentialFor(keyId, 'github.com')).toBe(TOKEN);
    expect(store.gitCredentialFor(keyId, 'GITHUB.COM')).toBe(TOKEN);
    expect(store.gitCredentialFor(keyId, 'git.example.com:8443')).toBe('glpat-xyz');
    expect(store.gitCredentialFor(keyId, 'git.example.com')).toBeUndefined();
    expect(store.gitCredentialFor(keyId, 'not a host')).toBeUndefined();
    expect(store.gitCredentialFor(other, 'github.com')).toBe('other-token');
    expect(store.hosts(keyId)).toEqual(['git.example.com:8443', 'github.com']);
    expect(gitCredentialHosts(db)).toEqual(
      new Map([
        [keyId, ['git.example.com:8443', 'github.com']],
        [other, ['github.com']],
      ]),
    );

    store.set(keyId, 'github.com', 'replaced');
    expect(store.gitCredentialFor(keyId, 'github.com')).toBe('replaced');
    expect(store.remove(keyId, 'github.com')).toBe(true);
    expect(store.remove(keyId, 'github.com')).toBe(false);
    expect(store.gitCredentialFor(keyId, 'github.com')).toBeUndefined();
    expect(store.gitCredentialFor(other, 'github.com')).toBe('other-token');
  });

  it('fails closed with another sealing key, or a sealed token moved to another key', async () => {
    const { db, keyId, sealingKey } = await setup();
    new GitCredentialStore(db, sealingKey).set(keyId, 'github.com', TOKEN);
    const wrong = new GitCredentialStore(db, randomBytes(32));
    expect(() => wrong.gitCredentialFor(keyId, 'github.com')).toThrow(GitCredentialUnreadableError);
    expect(() => wrong.gitCredentialFor(keyId, 'github.com')).toThrow(/register it again with cca keys update/);

    const other = new KeyRepo(db).create('thief').record.id;
    db.prepare(
      `INSERT INTO key_git_credentials (key_id, host, sealed, updated_at) SELECT ?, host, sealed, updated_at FROM key_git_credentials`,
    ).run(other);
    expect(() => new GitCredentialStore(db, sealingKey).gitCredentialFor(other, 'github.com')).toThrow(GitCredentialUnreadableError);
  });

  it('keeps no token in clear in the database files', async () => {
    const { db, dir, keyId, sealingKey } = await setup();
    new GitCredentialStore(db, sealingKey).set(keyId, 'github.com', TOKEN);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    for (const name of fs.readdirSync(dir).filter((f) => f.startsWith('cca.db'))) {
      const bytes = fs.readFileSync(path.join(dir, name));
      expect(bytes.includes(Buffer.from(TOKEN))).toBe(false);
      expect(bytes.includes(Buffer.from('abcdefghijklmnopqrstuvwxyz'))).toBe(false);
    }
    expect(fs.readFileSync(path.join(dir, 'cca.db')).includes(Buffer.from('github.com'))).toBe(true);
  });

  it('refuses bad hosts and tokens without quoting the token, and a sealing key that is not 32 bytes', async () => {
    const { db, keyId, sealingKey } = await setup();
    const store = new GitCredentialStore(db, sealingKey);
    for (const host of ['https://github.com', 'github.com/acme', 'user@github.com', '', 'a b']) {
      expect(() => store.set(keyId, host, TOKEN)).toThrow(ValidationError);
    }
    const err = (() => {
      try {
        store.set(keyId, 'github.com', 'secret-with\nnewline');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect(err?.message).not.toContain('secret-with');
    expect(() => store.set(keyId, 'github.com', '')).toThrow(ValidationError);
    expect(() => new GitCredentialStore(db, randomBytes(16))).toThrow(/32 bytes/);
    expect(normalizeGitHost('Git.Example.com.')).toBe('git.example.com');
  });
});
