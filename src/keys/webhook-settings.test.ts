import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../store/index.js';
import { KeyRepo, KeyWebhookStore, ROTATION_GRACE_MS, WebhookSecretUnreadableError, webhookSettingsOf } from './index.js';

const dirs: string[] = [];
const dbs: Db[] = [];

async function setup() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-keyhooks-'));
  dirs.push(dir);
  const db = openDatabase(dir);
  dbs.push(db);
  const keys = new KeyRepo(db);
  return { db, dir, keyId: keys.create('ci').record.id, other: keys.create('other').record.id, sealing: randomBytes(32) };
}

afterEach(async () => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('KeyWebhookStore', () => {
  it('keeps a default webhook per key, changed field by field and cleared with null', async () => {
    const { db, keyId, other, sealing } = await setup();
    const store = new KeyWebhookStore(db, sealing);
    expect(store.settings(keyId)).toEqual({ url: null, events: null, hasSecret: false, previousUntil: null });
    store.setDefault(keyId, { url: 'https://example.com/a', events: ['invocation.failed'] });
    store.setDefault(keyId, { url: 'https://example.com/b' });
    expect(store.settings(keyId)).toMatchObject({ url: 'https://example.com/b', events: ['invocation.failed'] });
    expect(store.settings(other).url).toBeNull();
    store.setDefault(keyId, { events: null });
    expect(webhookSettingsOf(db).get(keyId)).toMatchObject({ url: 'https://example.com/b', events: null });
    store.setDefault(keyId, { url: null });
    expect(store.settings(keyId).url).toBeNull();
  });

  it('makes a secret once, stores it sealed (never in clear in the database file), and opens it only with the same key', async () => {
    const { db, dir, keyId, sealing } = await setup();
    const store = new KeyWebhookStore(db, sealing);
    const made = store.ensureSecret(keyId);
    expect(made.created).toBe(true);
    expect(made.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(store.ensureSecret(keyId)).toEqual({ secret: made.secret, created: false });
    expect(store.signingSecrets(keyId)).toEqual([made.secret]);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const file = fs.readFileSync(path.join(dir, 'cca.db'));
    expect(file.includes(Buffer.from(made.secret))).toBe(false);
    expect(file.includes(Buffer.from(made.secret.slice(6)))).toBe(false);
    expect(() => new KeyWebhookStore(db, randomBytes(32)).signingSecrets(keyId)).toThrow(WebhookSecretUnreadableError);
  });

  it('does not open a secret moved to another key', async () => {
    const { db, keyId, other, sealing } = await setup();
    const store = new KeyWebhookStore(db, sealing);
    store.ensureSecret(keyId);
    store.setDefault(other, { url: 'https://example.com' });
    db.prepare('UPDATE key_webhooks SET secret = (SELECT secret FROM key_webhooks WHERE key_id = ?) WHERE key_id = ?').run(keyId, other);
    expect(() => store.secret(other)).toThrow(/cca keys webhook-secret/);
  });

  it('signs with the previous secret too for the grace period after a rotation, and only the new one after it', async () => {
    const { db, keyId, sealing } = await setup();
    const store = new KeyWebhookStore(db, sealing);
    const first = store.ensureSecret(keyId).secret;
    const at = new Date('2025-01-01T00:00:00Z');
    const second = store.rotateSecret(keyId, at);
    expect(second).not.toBe(first);
    expect(store.secret(keyId)).toBe(second);
    expect(store.signingSecrets(keyId, new Date(at.getTime() + 1000))).toEqual([second, first]);
    expect(store.signingSecrets(keyId, new Date(at.getTime() + ROTATION_GRACE_MS))).toEqual([second]);
    const third = store.rotateSecret(keyId, at, 0);
    expect(store.signingSecrets(keyId, at)).toEqual([third]);
  });

  it('goes with its key', async () => {
    const { db, keyId, sealing } = await setup();
    new KeyWebhookStore(db, sealing).ensureSecret(keyId);
    db.prepare('DELETE FROM api_keys WHERE id = ?').run(keyId);
    expect(webhookSettingsOf(db).has(keyId)).toBe(false);
  });
});
