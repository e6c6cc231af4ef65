import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { toErrorResponse, ValidationError, WebhookRetryLimitedError } from '../errors/index.js';
import { EXAMPLE_OUTPUT } from '../http/examples.js';
import { KeyRepo, KeyWebhookStore } from '../keys/index.js';
import type { SessionEvent } from '../schemas/events.js';
import { WebhookPayloadSchema } from '../schemas/webhooks.js';
import { openDatabase } from '../store/index.js';
import { generateWebhookSecret } from './secret.js';
import { Webhooks } from './webhooks.js';
import { thrownMessage } from '../../test/support/config-error.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup(
  env: Record<string, string> = {},
  mode: 'serve' | 'runtime' = 'serve',
  extra: { now?: () => Date; maxPendingPerOwner?: number } = {},
) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-webhooks-'));
  const db = openDatabase(dir);
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  cleanup.push(() => db.close());
  const config = loadConfig({}, env, { host: '127.0.0.1', port: 0, mode }, dir);
  const keys = new KeyWebhookStore(db, randomBytes(32));
  const repo = new KeyRepo(db);
  const webhooks = new Webhooks({ db, config, keys, version: 'test', ...extra });
  cleanup.push(() => webhooks.stop());
  return { webhooks, keys, keyId: repo.create('a').record.id };
}

const refusal = (fn: () => unknown) => thrownMessage(fn, ValidationError);

describe('Webhooks.resolve', () => {
  it("gives a request its own webhook (all events by default), its key's default when it names none, and none for null", async () => {
    const { webhooks, keys, keyId } = await setup();
    keys.ensureSecret(keyId);
    expect(webhooks.resolve(undefined, keyId, 'https://api')).toBeUndefined();
    keys.setDefault(keyId, { url: 'https://example.com/default', events: ['invocation.failed'] });
    expect(webhooks.resolve(undefined, keyId, 'https://api')).toEqual({
      url: 'https://example.com/default',
      events: ['invocation.failed'],
      source: 'key',
      baseUrl: 'https://api',
    });
    expect(webhooks.resolve(null, keyId, 'https://api')).toBeUndefined();
    expect(webhooks.resolve({ url: 'https://example.com/mine' }, keyId, 'https://api')).toEqual({
      url: 'https://example.com/mine',
      events: ['invocation.completed', 'invocation.failed', 'invocation.cancelled', 'invocation.timed_out', 'permission.request'],
      source: 'request',
      baseUrl: 'https://api',
    });
    expect(
      webhooks.resolve({ url: 'https://example.com/mine', events: ['permission.request', 'permission.request'] }, keyId, 'x')?.events,
    ).toEqual(['permission.request']);
  });

  it('refuses a URL the rules do not allow, and a key without a secret to sign with', async () => {
    const { webhooks, keys, keyId } = await setup();
    expect(refusal(() => webhooks.resolve({ url: 'https://example.com/x' }, keyId, 'x'))).toMatch(
      new RegExp(`API key ${keyId} has no webhook secret yet.*cca keys webhook-secret ${keyId}`),
    );
    keys.ensureSecret(keyId);
    expect(refusal(() => webhooks.resolve({ url: 'http://169.254.169.254/x' }, keyId, 'x'))).toMatch(
      /webhook\.url points at 169\.254\.169\.254/,
    );
  });

  it('signs with CCA_WEBHOOK_SECRET where there are no keys, and refuses webhooks there without it', async () => {
    const without = await setup({}, 'runtime');
    expect(refusal(() => without.webhooks.resolve({ url: 'https://example.com/x' }, undefined, 'x'))).toMatch(/CCA_WEBHOOK_SECRET/);
    const withSecret = await setup({ CCA_WEBHOOK_SECRET: generateWebhookSecret() }, 'runtime');
    expect(withSecret.webhooks.resolve({ url: 'https://example.com/x' }, undefined, 'x')?.source).toBe('request');
  });
});

describe('Webhooks.observe', () => {
  const at = '2025-01-01T12:00:00.000Z';
  const ended = (invocationId: string, status: 'succeeded' | 'cancelled'): SessionEvent => ({
    id: 9,
    session_id: 's-1',
    invocation_id: invocationId,
    at,
    type: 'invocation.completed',
    data: { status, output: EXAMPLE_OUTPUT },
  });

  it('records a delivery for the events an invocation subscribed to, and none for the others', async () => {
    const { webhooks, keyId } = await setup();
    webhooks.subscribe('s-1', 'i-1', keyId, {
      url: 'https://example.com/h',
      events: ['invocation.completed'],
      source: 'request',
      baseUrl: 'https://api',
    });
    webhooks.observe(ended('i-1', 'cancelled'));
    webhooks.observe(ended('i-2', 'succeeded'));
    webhooks.observe({ id: 1, session_id: 's-1', invocation_id: 'i-1', at, type: 'assistant.text', data: { text: 'hi' } });
    expect(webhooks.page('s-1', { limit: 10 })).toEqual([]);
    webhooks.observe(ended('i-1', 'succeeded'));
    const [row] = webhooks.page('s-1', { limit: 10 }) ?? [];
    expect(row).toMatchObject({
      type: 'invocation.completed',
      url: 'https://example.com/h',
      owner_key_id: keyId,
      state: 'pending',
      attempts: 0,
      created_at: at,
    });
    expect(row?.id).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
    expect(WebhookPayloadSchema.parse(JSON.parse(row!.payload))).toMatchObject({
      type: 'invocation.completed',
      data: { links: { session: 'https://api/sessions/s-1' } },
    });
  });

  it('never throws, even when the database is gone', async () => {
    const { webhooks } = await setup();
    webhooks.subscribe('s-1', 'i-1', undefined, {
      url: 'https://example.com/h',
      events: ['invocation.completed'],
      source: 'request',
      baseUrl: 'x',
    });
    cleanup.pop()?.(); // webhooks.stop
    const close = cleanup.pop();
    await close?.();
    expect(() => webhooks.observe(ended('i-1', 'succeeded'))).not.toThrow();
  });
});

describe('Webhooks.redeliver', () => {
  it('puts a finished delivery of the session back to pending, due now; refuses another session, an unknown id, and a pending one', async () => {
    const { webhooks, keyId } = await setup();
    webhooks.subscribe('s-1', 'i-1', keyId, {
      url: 'https://example.com/h',
      events: ['invocation.cancelled'],
      source: 'request',
      baseUrl: 'x',
    });
    webhooks.observe({
      id: 3,
      session_id: 's-1',
      invocation_id: 'i-1',
      at: '2025-01-01T12:00:00.000Z',
      type: 'invocation.completed',
      data: { status: 'cancelled', output: EXAMPLE_OUTPUT },
    });
    const [row] = webhooks.page('s-1', { limit: 1 }) ?? [];
    expect(() => webhooks.redeliver('s-1', row!.id)).toThrow(/is pending already/);
    webhooks.store.record(row!.id, {
      state: 'failed',
      attempts: 1,
      attemptAt: new Date(),
      status: 503,
      error: 'gave up',
      nextAttemptAt: null,
    });
    expect(() => webhooks.redeliver('s-2', row!.id)).toThrow(/Session s-2 has no webhook delivery/);
    expect(() => webhooks.redeliver('s-1', 'msg_nope')).toThrow(/has no webhook delivery msg_nope/);
    const again = webhooks.redeliver('s-1', row!.id);
    expect(again).toMatchObject({ id: row!.id, state: 'pending', attempts: 0, payload: row!.payload, last_status: 503 });
  });
});

describe('Webhooks.redeliver limits', () => {
  const failed = { state: 'failed' as const, attempts: 1, attemptAt: new Date(), status: 503, error: 'gave up', nextAttemptAt: null };

  async function oneDelivery(extra: { maxPendingPerOwner?: number } = {}) {
    let clock = new Date('2025-01-01T12:00:00.000Z');
    const ctx = await setup({}, 'serve', { now: () => clock, ...extra });
    ctx.webhooks.subscribe('s-1', 'i-1', ctx.keyId, {
      url: 'https://example.com/h',
      events: ['invocation.cancelled'],
      source: 'request',
      baseUrl: 'x',
    });
    ctx.webhooks.observe({
      id: 3,
      session_id: 's-1',
      invocation_id: 'i-1',
      at: clock.toISOString(),
      type: 'invocation.completed',
      data: { status: 'cancelled', output: EXAMPLE_OUTPUT },
    });
    const [row] = ctx.webhooks.page('s-1', { limit: 1 }) ?? [];
    return { ...ctx, id: row!.id, advance: (ms: number) => (clock = new Date(clock.getTime() + ms)) };
  }

  it('lets a caller retry a delivery at most once a minute: 429 with Retry-After and when, otherwise', async () => {
    const { webhooks, id, advance } = await oneDelivery();
    webhooks.store.record(id, failed);
    webhooks.redeliver('s-1', id);
    webhooks.store.record(id, failed);
    advance(20_000);
    let refusal: unknown;
    try {
      webhooks.redeliver('s-1', id);
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(WebhookRetryLimitedError);
    const { status, body, headers } = toErrorResponse(refusal);
    expect(status).toBe(429);
    expect(headers['Retry-After']).toBe('40');
    expect(body).toMatchObject({ code: 'webhook_retry_limited', retry_after_s: 40 });
    expect(body.message).toMatch(
      new RegExp(
        `^Webhook delivery ${id} was retried at 2025-01-01T12:00:00.000Z; a delivery may be retried once a minute. Retry after 2025-01-01T12:01:00.000Z`,
      ),
    );
    expect(webhooks.store.get(id)?.state).toBe('failed');
    advance(40_000);
    expect(webhooks.redeliver('s-1', id).state).toBe('pending');
  });

  it('refuses a retry while the key has as many deliveries pending as it may, saying so', async () => {
    const { webhooks, id, keyId } = await oneDelivery({ maxPendingPerOwner: 2 });
    webhooks.store.record(id, failed);
    for (const n of [1, 2]) {
      webhooks.store.enqueue({
        id: `msg_${n}`,
        sessionId: 's-1',
        invocationId: 'i-1',
        ownerKeyId: keyId,
        type: 'invocation.completed',
        url: 'https://example.com/h',
        payload: '{}',
        createdAt: new Date(),
      });
    }
    expect(() => webhooks.redeliver('s-1', id)).toThrow(
      new RegExp(
        `^API key ${keyId} has 2 webhook deliveries pending, as many as it may; retry this one once some of them are delivered or given up`,
      ),
    );
    expect(webhooks.store.get(id)?.state).toBe('failed');
  });
});
