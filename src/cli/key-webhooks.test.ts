import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runKeys } from '../../test/support/keys-cli.js';
import { Webhook } from 'standardwebhooks';
import { loadSigningSecret, UrlSigner } from '../artifacts/index.js';
import { KeyWebhookStore, WEBHOOK_SECRETS_KEY_LABEL } from '../keys/index.js';
import { openDatabase } from '../store/index.js';
import { signatureHeader } from '../webhooks/index.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-keyhooks-cli-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const run = (args: string[], env?: NodeJS.ProcessEnv) => runKeys(dataDir, args, NOW, env);

/** The store as `cca serve` opens it: the same signing secret, the same derived key. */
async function serviceStore() {
  const db = openDatabase(dataDir);
  const signer = new UrlSigner(await loadSigningSecret(dataDir, undefined));
  return { db, store: new KeyWebhookStore(db, signer.deriveKey(WEBHOOK_SECRETS_KEY_LABEL)) };
}

describe('cca keys and webhooks', () => {
  it('create prints a webhook secret the service signs with, sets the default webhook, and keeps the secret sealed', async () => {
    const { code, stdout } = await run([
      'create',
      '--name',
      'ci',
      '--webhook-url',
      'https://example.com/hooks',
      '--webhook-events',
      'invocation.completed,invocation.failed',
    ]);
    expect(code).toBe(0);
    const secret = /^ {2}(whsec_\S+)$/m.exec(stdout)?.[1];
    expect(secret).toBeDefined();
    expect(stdout).toContain('default webhook: https://example.com/hooks (invocation.completed, invocation.failed)');
    const id = /\(id (\w+)\)/.exec(stdout)?.[1] as string;

    const { db, store } = await serviceStore();
    try {
      const signature = signatureHeader(store.signingSecrets(id), 'msg_1', Math.floor(Date.now() / 1000), '{}');
      const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': signature };
      expect(new Webhook(secret as string).verify('{}', headers)).toEqual({});
      expect(store.settings(id)).toMatchObject({ url: 'https://example.com/hooks', events: ['invocation.completed', 'invocation.failed'] });
      expect(JSON.stringify(db.prepare('SELECT * FROM key_webhooks').all())).not.toContain((secret as string).slice(6));
    } finally {
      db.close();
    }

    const shown = JSON.parse((await run(['show', id, '--json'])).stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({
      webhook_url: 'https://example.com/hooks',
      webhook_events: ['invocation.completed', 'invocation.failed'],
      webhook_secret: 'set',
    });
    expect(JSON.stringify(shown)).not.toContain('whsec_');
  });

  it('webhook-secret shows the secret, --rotate replaces it and keeps the old one signing for the grace period', async () => {
    const { stdout } = await run(['create', '--name', 'ci', '--json']);
    const { id, webhook_secret: first } = JSON.parse(stdout) as { id: string; webhook_secret: string };
    expect(JSON.parse((await run(['webhook-secret', id, '--json'])).stdout)).toEqual({ id, webhook_secret: first });

    const rotated = await run(['webhook-secret', id, '--rotate']);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('Until 2025-06-02T12:00:00.000Z deliveries carry a signature with the previous secret too');
    const second = /^ {2}(whsec_\S+)$/m.exec(rotated.stdout)?.[1];
    expect(second).not.toBe(first);
    const { db, store } = await serviceStore();
    try {
      expect(store.signingSecrets(id, NOW)).toEqual([second, first]);
    } finally {
      db.close();
    }
    const leaked = JSON.parse((await run(['webhook-secret', id, '--rotate', '--grace-hours', '0', '--json'])).stdout) as {
      webhook_secret: string;
    };
    const again = await serviceStore();
    try {
      expect(again.store.signingSecrets(id, NOW)).toEqual([leaked.webhook_secret]);
    } finally {
      again.db.close();
    }
    expect((await run(['webhook-secret', 'nope'])).code).toBe(1);
    expect((await run(['webhook-secret', id, '--grace-hours', '2'])).stderr).toMatch(/--grace-hours goes with --rotate/);
  });

  it('update sets and removes the default webhook, and gives a key without a secret one', async () => {
    const { id } = JSON.parse((await run(['create', '--name', 'ci', '--json'])).stdout) as { id: string };
    const db = openDatabase(dataDir);
    db.prepare('DELETE FROM key_webhooks').run();
    db.close();
    const set = await run(['update', id, '--webhook-url', 'https://example.com/h']);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('Default webhook: https://example.com/h (all events).');
    expect(set.stdout).toMatch(/had no webhook secret .*made one[\s\S]*whsec_/);
    const events = JSON.parse((await run(['update', id, '--webhook-events', 'permission.request', '--json'])).stdout) as Record<
      string,
      unknown
    >;
    expect(events).toMatchObject({ webhook_url: 'https://example.com/h', webhook_events: ['permission.request'], webhook_secret: 'set' });
    expect(events.webhook_secret_made).toBeUndefined();
    const removed = JSON.parse((await run(['update', id, '--webhook-url', 'none', '--json'])).stdout) as Record<string, unknown>;
    expect(removed).toMatchObject({ webhook_url: null, webhook_events: null });
  });

  it.each([
    [['--webhook-url', 'http://example.com/h'], /--webhook-url must use https/],
    [['--webhook-url', 'https://169.254.169.254/'], /--webhook-url points at 169\.254\.169\.254/],
    [['--webhook-url', 'https://u:p@example.com/'], /must not carry credentials/],
    [
      ['--webhook-url', 'https://example.com', '--webhook-events', 'invocation.done'],
      /--webhook-events takes event types.*not one: "invocation\.done"/,
    ],
    [['--webhook-events', 'all'], /--webhook-events goes with --webhook-url/],
    [['--webhook-url', 'none'], /use it with cca keys update/],
  ])('create refuses %j with exit 2, and makes no key', async (flags, message) => {
    const { code, stderr } = await run(['create', '--name', 'x', ...flags]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(JSON.parse((await run(['list', '--json'])).stdout)).toEqual([]);
  });

  it('allows http to the hosts of CCA_PRIVATE_HOSTS', async () => {
    const { code } = await run(['create', '--name', 'x', '--webhook-url', 'http://hooks.internal:8080/h'], {
      CCA_DATA_DIR: dataDir,
      CCA_PRIVATE_HOSTS: 'hooks.internal',
    });
    expect(code).toBe(0);
  });
});
