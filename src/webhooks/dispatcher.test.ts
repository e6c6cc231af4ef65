/**
 * The dispatcher against real receivers on loopback addresses (test/support/webhook-receiver.ts):
 * real HTTP, real SQLite, signatures checked by the standardwebhooks package on the receiving end.
 */
import dns from 'node:dns';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/support/webhook-receiver.js';
import { parsePrivateHosts, type PrivateAllowance } from '../egress/index.js';
import { openDatabase, type Db } from '../store/index.js';
import { DeliveryStore } from './delivery-store.js';
import { WebhookDispatcher, type DeliveryReport } from './dispatcher.js';
import { generateWebhookSecret } from './secret.js';

const SECRET = generateWebhookSecret();
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup(
  opts: {
    allow?: PrivateAllowance;
    scheduleMs?: number[];
    concurrency?: number;
    timeoutMs?: number;
    resolve?: typeof dns.lookup;
    secrets?: string[];
  } = {},
) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-dispatch-'));
  const db = openDatabase(dir);
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  cleanup.push(() => db.open && db.close());
  return build(db, dir, opts);
}

function build(db: Db, dir: string, opts: Parameters<typeof setup>[0] = {}) {
  const store = new DeliveryStore(db);
  const reports: DeliveryReport[] = [];
  const dispatcher = new WebhookDispatcher({
    store,
    secretsFor: () => opts.secrets ?? [SECRET],
    scheduleMs: opts.scheduleMs ?? [0, 20, 20, 20],
    timeoutMs: opts.timeoutMs ?? 5000,
    concurrency: opts.concurrency ?? 8,
    allow: opts.allow ?? parsePrivateHosts(['127.0.0.1']),
    userAgent: 'test',
    random: () => 0,
    ...(opts.resolve ? { resolve: opts.resolve } : {}),
  });
  dispatcher.onDelivery((r) => reports.push(r));
  cleanup.push(() => dispatcher.stop());
  return { db, dir, store, dispatcher, reports };
}

async function receiver(opts: Parameters<typeof startWebhookReceiver>[0] = {}): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver({ secret: SECRET, ...opts });
  cleanup.push(() => r.close());
  return r;
}

let n = 0;
function enqueue(
  store: DeliveryStore,
  url: string,
  type: 'invocation.completed' | 'permission.request' = 'invocation.completed',
  ownerKeyId: string | null = 'k1',
) {
  const id = `msg_test${++n}`;
  store.enqueue({
    id,
    sessionId: 's-1',
    invocationId: 'i-1',
    ownerKeyId,
    type,
    url,
    payload: JSON.stringify({ type, timestamp: new Date().toISOString(), data: { n } }),
    createdAt: new Date(),
  });
  return id;
}

async function until<T>(check: () => T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('WebhookDispatcher', () => {
  it('retries a 500 and a dropped connection with the same webhook-id and a valid signature each time, then delivers', async () => {
    const hook = await receiver({ plan: [500, 'drop'] });
    const { store, dispatcher, reports } = await setup();
    const id = enqueue(store, hook.url);
    dispatcher.start();
    await until(() => store.get(id)?.state === 'delivered', 'delivered');
    expect(hook.received.map((r) => r.id)).toEqual([id, id, id]);
    expect(hook.received.every((r) => r.verified)).toBe(true);
    expect(hook.received[0]!.headers['content-type']).toBe('application/json');
    expect(reports.map((r) => [r.outcome, r.status])).toEqual([
      ['retrying', 500],
      ['retrying', null],
      ['delivered', 200],
    ]);
    expect(store.get(id)).toMatchObject({ attempts: 3, last_status: 200, last_error: null, next_attempt_at: null });
    expect(reports[1]!.error).toMatch(/dropped before an answer/);
  });

  it('stops at a 410 Gone, and gives up when the schedule runs out', async () => {
    const gone = await receiver({ plan: [410] });
    const down = await receiver({ host: '127.0.0.3', plan: [503, 503, 503, 503, 503] });
    const { store, dispatcher } = await setup({ allow: parsePrivateHosts(['127.0.0.1', '127.0.0.3']) });
    const a = enqueue(store, gone.url);
    const b = enqueue(store, down.url);
    dispatcher.start();
    await until(() => store.get(a)?.state === 'failed' && store.get(b)?.state === 'failed', 'both failed');
    expect(gone.received).toHaveLength(1);
    expect(store.get(a)).toMatchObject({ attempts: 1, last_status: 410, last_error: expect.stringMatching(/410 Gone/) });
    expect(down.received).toHaveLength(4);
    expect(store.get(b)).toMatchObject({
      attempts: 4,
      last_status: 503,
      last_error: expect.stringMatching(/^gave up after 4 attempt\(s\); the last: answered 503: refused with 503/),
    });
  });

  it('refuses loopback and metadata addresses without the allowance, by name or by address, at once and for good', async () => {
    const hook = await receiver();
    const { store, dispatcher, reports } = await setup({ allow: parsePrivateHosts([]) });
    const byName = enqueue(store, `http://localhost:${hook.port}/hooks`);
    const byAddress = enqueue(store, hook.url);
    const metadata = enqueue(store, 'http://169.254.169.254/latest/meta-data/');
    dispatcher.start();
    await until(() => [byName, byAddress, metadata].every((id) => store.get(id)?.state === 'failed'), 'all failed');
    expect(hook.received).toEqual([]);
    expect(store.get(byName)).toMatchObject({
      attempts: 1,
      last_error: expect.stringMatching(/localhost is at (127\.0\.0\.1|::1), a loopback.*webhooks may not reach/),
    });
    expect(store.get(byAddress)?.last_error).toMatch(/127\.0\.0\.1 is a loopback/);
    expect(store.get(metadata)?.last_error).toMatch(/169\.254\.169\.254/);
    expect(reports.every((r) => r.outcome === 'failed')).toBe(true);
  });

  it('connects to the address it checked: one lookup per attempt, through the resolver it is given', async () => {
    const hook = await receiver();
    const looked: string[] = [];
    const resolve = ((host: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
      looked.push(host);
      if (host !== 'hooks.test') return callback(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));
      callback(null, options.all ? [{ address: '127.0.0.1', family: 4 }] : '127.0.0.1', 4);
    }) as unknown as typeof dns.lookup;
    const { store, dispatcher } = await setup({ resolve });
    const id = enqueue(store, `http://hooks.test:${hook.port}/hooks`);
    const missing = enqueue(store, `http://nowhere.test:${hook.port}/hooks`);
    dispatcher.start();
    await until(() => store.get(id)?.state === 'delivered' && store.get(missing)?.state === 'failed', 'delivered and failed');
    expect(hook.received[0]?.headers.host).toBe(`hooks.test:${hook.port}`);
    expect(looked.filter((h) => h === 'hooks.test')).toHaveLength(1);
    // A name that does not resolve is a passing problem: retried, then given up.
    expect(store.get(missing)).toMatchObject({ attempts: 4, last_error: expect.stringMatching(/nowhere\.test could not be resolved/) });
  });

  it("keeps a receiver that never answers from holding up other keys' deliveries, and the same key's to other hosts", async () => {
    const slow = await receiver({ plan: ['hang', 'hang', 'hang', 'hang'] });
    const fast = await receiver({ host: '127.0.0.3' });
    const { store, dispatcher } = await setup({ allow: parsePrivateHosts(['127.0.0.1', '127.0.0.3']), concurrency: 8, timeoutMs: 60_000 });
    for (let i = 0; i < 4; i++) enqueue(store, slow.url, 'invocation.completed', 'k1');
    const mine = enqueue(store, fast.url, 'invocation.completed', 'k1');
    const theirs = enqueue(store, fast.url, 'invocation.completed', 'k2');
    dispatcher.start();
    // Half a share (8 / 4 / 2 = 1) at most for one owner to one host: one hanging attempt, the
    // other three wait, and k1's own delivery to another host goes out.
    await until(() => [mine, theirs].every((id) => store.get(id)?.state === 'delivered'), 'both delivered');
    await slow.waitFor((r) => r.length === 1);
    expect(dispatcher.inFlight).toBe(1);
  });

  it("lets the operator's healthy receivers under `cca runtime` use the slots one hanging URL cannot have", async () => {
    // Every delivery is the operator's (owner null), as under `cca runtime`: one owner for all sessions.
    const hosts = ['127.0.0.1', '127.0.0.4', '127.0.0.5', '127.0.0.6'];
    const hanging = await Promise.all(hosts.map((host) => receiver({ host, plan: Array<'hang'>(4).fill('hang') })));
    const fast = await receiver({ host: '127.0.0.3' });
    const { store, dispatcher } = await setup({ allow: parsePrivateHosts([...hosts, '127.0.0.3']), concurrency: 16, timeoutMs: 60_000 });
    for (const hook of hanging) for (let i = 0; i < 4; i++) enqueue(store, hook.url, 'invocation.completed', null);
    const healthy = [0, 1, 2, 3].map(() => enqueue(store, fast.url, 'invocation.completed', null));
    dispatcher.start();
    await until(() => healthy.every((id) => store.get(id)?.state === 'delivered'), 'the healthy deliveries', 10_000);
    // Alone, the owner is not held to its quarter (4 of 16): two attempts to each hanging host.
    await until(() => hanging.every((hook) => hook.received.length === 2), 'two hanging attempts per host', 10_000);
    expect(dispatcher.inFlight).toBe(8);
  });

  it("keeps one owner's receivers that never answer, on any number of hosts, from the slots kept for other owners", async () => {
    // Four hanging receivers of one key on four addresses (four hosts to a per-host bound alone).
    const hosts = ['127.0.0.1', '127.0.0.4', '127.0.0.5', '127.0.0.6'];
    const hanging = await Promise.all(hosts.map((host) => receiver({ host, plan: ['hang', 'hang', 'hang', 'hang'] })));
    const fast = await receiver({ host: '127.0.0.3' });
    const { store, dispatcher } = await setup({ allow: parsePrivateHosts([...hosts, '127.0.0.3']), concurrency: 4, timeoutMs: 60_000 });
    for (const hook of hanging) for (let i = 0; i < 4; i++) enqueue(store, hook.url, 'invocation.completed', 'attacker');
    dispatcher.start();
    // Alone, it may use all but a quarter of the slots (3 of 4)...
    const sent = () => hanging.reduce((sum, hook) => sum + hook.received.length, 0);
    await until(() => sent() === 3, 'three hanging attempts');
    expect(dispatcher.inFlight).toBe(3);
    // ...and the quarter kept free takes the others' deliveries at once.
    const other = enqueue(store, fast.url, 'invocation.completed', 'k2');
    const operator = enqueue(store, fast.url, 'invocation.completed', null);
    dispatcher.kick();
    await until(() => [other, operator].every((id) => store.get(id)?.state === 'delivered'), "the other owners' deliveries", 10_000);
    expect(dispatcher.inFlight).toBe(3);
    expect(sent()).toBe(3);
  });

  it('bounds attempts to one host by its name, whatever the port, across owners', async () => {
    // One hanging host on four ports; three keys send to all of them. The host gets a quarter of the slots.
    const ports = await Promise.all([0, 1, 2, 3].map(() => receiver({ plan: Array<'hang'>(8).fill('hang') })));
    const fast = await receiver({ host: '127.0.0.3' });
    const { store, dispatcher } = await setup({ allow: parsePrivateHosts(['127.0.0.1', '127.0.0.3']), concurrency: 8, timeoutMs: 60_000 });
    for (const owner of ['k1', 'k2', 'k3']) for (const hook of ports) enqueue(store, hook.url, 'invocation.completed', owner);
    const quick = enqueue(store, fast.url, 'invocation.completed', 'k4');
    dispatcher.start();
    await until(() => store.get(quick)?.state === 'delivered', 'the fast one delivered', 10_000);
    expect(dispatcher.inFlight).toBe(2);
    await until(() => ports.reduce((sum, hook) => sum + hook.received.length, 0) === 2, 'two hanging attempts');
  });

  it('gives the attempts abandoned at a stop, and what is pending, to the next start: same id, nothing lost', async () => {
    const hook = await receiver({ plan: [500, 'hang'] });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-dispatch-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const db1 = openDatabase(dir);
    const first = build(db1, dir, { scheduleMs: [0, 20, 20, 20] });
    const id = enqueue(first.store, hook.url);
    first.dispatcher.start();
    await hook.waitFor((r) => r.length === 2);
    await first.dispatcher.stop();
    expect(first.store.get(id)).toMatchObject({ state: 'pending', attempts: 1, last_status: 500 });
    db1.close();

    const db2 = openDatabase(dir);
    cleanup.push(() => db2.open && db2.close());
    const second = build(db2, dir);
    second.dispatcher.start();
    await until(() => second.store.get(id)?.state === 'delivered', 'delivered after the restart');
    expect(hook.received.map((r) => r.id)).toEqual([id, id, id]);
    expect(second.store.get(id)?.attempts).toBe(2);
  });

  it('fails a delivery it has no secret for, saying whose', async () => {
    const hook = await receiver();
    const { store, dispatcher } = await setup({ secrets: [] });
    const id = enqueue(store, hook.url);
    dispatcher.start();
    await until(() => store.get(id)?.state === 'failed', 'failed');
    expect(store.get(id)?.last_error).toBe('API key k1 has no webhook secret to sign with');
    expect(hook.received).toEqual([]);
  });
});

describe('WebhookDispatcher.drain', () => {
  it('lets what is due go out before a stop, and gives up on a receiver that does not answer when its time is up', async () => {
    const hook = await receiver();
    const slow = await receiver({ host: '127.0.0.3', plan: ['hang'] });
    const { store, dispatcher } = await setup({ allow: parsePrivateHosts(['127.0.0.1', '127.0.0.3']), timeoutMs: 60_000 });
    dispatcher.start();
    const id = enqueue(store, hook.url);
    await dispatcher.drain(10_000);
    expect(store.get(id)?.state).toBe('delivered');

    const stuck = enqueue(store, slow.url);
    await dispatcher.drain(200);
    await slow.waitFor((r) => r.length === 1);
    await dispatcher.stop();
    expect(store.get(stuck)).toMatchObject({ state: 'pending', attempts: 0 });
  });
});
