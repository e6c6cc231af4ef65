/**
 * Per-key limits answered exactly as API Gateway's usage plan answers them: token bucket on every
 * request (429 Too Many Requests), daily quota on invocations and uploads only, resetting at 00:00
 * UTC (429 Limit Exceeded), both surviving a restart; and the limits on concurrent runs (queue,
 * then 503). The clock is injected for exactness.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scenarios, startModelServer, text } from '../support/model-server.js';
import { runKeys } from '../support/keys-cli.js';
import { startTestService, type TestService } from '../support/service.js';

async function get(svc: TestService, key: string, pathname = '/sessions') {
  const res = await fetch(`${svc.url}${pathname}`, { headers: { 'x-api-key': key } });
  return { status: res.status, body: (await res.json()) as any, retryAfter: res.headers.get('retry-after') };
}

async function burst(svc: TestService, key: string, n: number) {
  return Promise.all(Array.from({ length: n }, () => get(svc, key)));
}

/** A request that spends the daily quota without starting a run: an invocation refused as invalid (400) once admitted. */
async function invokeNothing(svc: TestService, key: string) {
  const res = await fetch(`${svc.url}/invoke`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: '{}',
  });
  return { status: res.status, body: (await res.json()) as any, retryAfter: res.headers.get('retry-after') };
}

async function invokeBurst(svc: TestService, key: string, n: number) {
  return Promise.all(Array.from({ length: n }, () => invokeNothing(svc, key)));
}

describe('token bucket and daily quota', () => {
  const open: TestService[] = [];
  afterAll(async () => {
    for (const svc of open) await svc.close();
  });

  it('lets exactly the burst through at one instant, then refills at the rate', async () => {
    let clock = Date.parse('2026-11-25T12:00:00.000Z');
    const svc = await startTestService({ mode: 'serve', now: () => clock });
    open.push(svc);
    const { key } = svc.runtime.keys.create('bursty'); // defaults: 10/s, burst 20
    const first = await burst(svc, key, 30);
    expect(first.filter((r) => r.status === 200)).toHaveLength(20);
    const throttled = first.filter((r) => r.status === 429);
    expect(throttled).toHaveLength(10);
    for (const r of throttled) {
      expect(r.body).toEqual({ message: 'Too Many Requests' });
      expect(r.retryAfter).toBe('1');
    }
    clock += 500; // 5 tokens at 10/s
    const second = await burst(svc, key, 8);
    expect(second.filter((r) => r.status === 200)).toHaveLength(5);
    expect(second.filter((r) => r.status === 429)).toHaveLength(3);
  });

  it('refuses past the daily quota with Limit Exceeded until 00:00 UTC, and throttled requests use no quota', async () => {
    let clock = Date.parse('2026-11-25T23:59:50.000Z');
    const svc = await startTestService({ mode: 'serve', now: () => clock });
    open.push(svc);
    const { key } = svc.runtime.keys.create('quota', { dailyQuota: 5, burst: 3, ratePerS: 1 });
    const first = await invokeBurst(svc, key, 4); // 3 pass the bucket, 1 throttled (not counted)
    expect(first.map((r) => r.status).sort()).toEqual([400, 400, 400, 429]);
    clock += 3000; // bucket full again
    const second = await invokeBurst(svc, key, 3); // quota 5: two more pass, the third is over quota
    expect(second.map((r) => r.status).sort()).toEqual([400, 400, 429]);
    const over = second.find((r) => r.status === 429);
    expect(over?.body).toEqual({ message: 'Limit Exceeded' });
    expect(over?.retryAfter).toBe('7'); // 23:59:53 → midnight
    clock = Date.parse('2026-11-25T23:59:59.999Z') + 0;
    expect((await invokeNothing(svc, key)).body).toEqual({ message: 'Limit Exceeded' });
    clock = Date.parse('2026-11-26T00:00:00.000Z');
    expect((await invokeNothing(svc, key)).status).toBe(400);
  });

  it('counts only invocations and uploads against the quota: reading status never spends it, only the token bucket', async () => {
    let clock = Date.parse('2026-11-25T12:00:00.000Z');
    const svc = await startTestService({ mode: 'serve', now: () => clock });
    open.push(svc);
    const { record, key } = svc.runtime.keys.create('poller', { dailyQuota: 2, burst: 100, ratePerS: 100 });
    const id = record.id;
    const session = '3f2a9c1e-8d7b-4a6c-b5e4-d3c2b1a09f8e';
    const upload = await fetch(`${svc.url}/sessions/${session}/files?path=in/`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'multipart/form-data; boundary=b' },
      body: '--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello\r\n--b--\r\n',
    });
    expect(upload.status).toBe(201); // 1 of 2
    // A caller polling its session: far more reads than the quota, all answered.
    const reads = ['/sessions', `/sessions/${session}`, `/sessions/${session}/files`, `/sessions/${session}/webhooks`, '/usage'];
    for (let round = 0; round < 5; round++) {
      for (const pathname of reads) expect((await get(svc, key, pathname)).status, pathname).toBe(200);
    }
    // `cca keys list` shows the quota used: the upload, none of the reads.
    const listed = await runKeys(svc.dataDir, ['list', '--json'], new Date(clock));
    expect(JSON.parse(listed.stdout).find((k: any) => k.id === id)).toMatchObject({ daily_quota: 2, used_today: 1 });
    expect((await invokeNothing(svc, key)).status).toBe(400); // 2 of 2
    expect((await invokeNothing(svc, key)).body).toEqual({ message: 'Limit Exceeded' });
    // Over the quota, reads still pass; they stay under the token bucket.
    expect((await get(svc, key, `/sessions/${session}`)).status).toBe(200);
    const flood = await burst(svc, key, 120);
    expect(flood.filter((r) => r.status === 429).every((r) => r.body.message === 'Too Many Requests')).toBe(true);
    expect(flood.filter((r) => r.status === 429).length).toBeGreaterThan(0);
  });

  it('keeps keys, counters and sessions across a restart', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-restart-'));
    const model = await startModelServer(scenarios({}));
    const clock = Date.parse('2026-11-25T10:00:00.000Z');
    try {
      const before = await startTestService({ mode: 'serve', now: () => clock, dataDir, model });
      const { key } = before.runtime.keys.create('durable', { dailyQuota: 4, burst: 100, ratePerS: 100 });
      const made = await fetch(`${before.url}/invoke`, {
        method: 'POST',
        headers: { 'x-api-key': key },
        body: JSON.stringify({ prompt: 'remember me' }),
      });
      const sessionId = ((await made.json()) as any).output.session_id;
      expect((await invokeNothing(before, key)).status).toBe(400); // 2 of 4 used
      await before.close();

      const after = await startTestService({ mode: 'serve', now: () => clock, dataDir, model });
      const list = await get(after, key); // a read: still 2 of 4
      expect(list.status).toBe(200);
      expect(list.body.sessions.map((s: any) => s.session_id)).toEqual([sessionId]);
      expect((await invokeNothing(after, key)).status).toBe(400); // 3 of 4
      expect((await invokeNothing(after, key)).status).toBe(400); // 4 of 4
      expect((await invokeNothing(after, key)).body).toEqual({ message: 'Limit Exceeded' });
      await after.close();
    } finally {
      await model.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });

  it('throttles in real time too', async () => {
    const svc = await startTestService({ mode: 'serve' });
    open.push(svc);
    // One token per 10 s: nothing refills while the burst is in flight.
    const { key } = svc.runtime.keys.create('realtime', { ratePerS: 0.1, burst: 3 });
    const results = await burst(svc, key, 6);
    expect(results.filter((r) => r.status === 200)).toHaveLength(3);
    expect(results.filter((r) => r.status === 429 && r.body.message === 'Too Many Requests')).toHaveLength(3);
  });
});

describe('concurrent runs', () => {
  const slow = scenarios({ slow: [{ content: [text('slow answer')], delayMs: 1500 }] });
  const post = (svc: TestService, key: string, prompt: string) =>
    fetch(`${svc.url}/invoke`, { method: 'POST', headers: { 'x-api-key': key }, body: JSON.stringify({ prompt }) }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as any,
      retryAfter: r.headers.get('retry-after'),
    }));
  const health = async (svc: TestService) => (await (await fetch(`${svc.url}/health`)).json()) as any;

  it("queues a run over the key's limit without holding up other keys", async () => {
    const svc = await startTestService({ mode: 'serve', env: { CCA_MAX_RUNS: '2', CCA_MAX_QUEUE: '1' }, responder: slow });
    try {
      const { key } = svc.runtime.keys.create('one-at-a-time', { maxConcurrent: 1 });
      const other = svc.runtime.keys.create('other').key;
      const first = post(svc, key, '[[scenario:slow]] first');
      await waitFor(async () => (await health(svc)).runs.active === 1);
      const second = post(svc, key, '[[scenario:slow]] second');
      await waitFor(async () => (await health(svc)).runs.queued === 1);
      // A global slot is free and the queued waiter belongs to another key: this one runs now.
      const third = await post(svc, other, '[[scenario:slow]] third');
      expect(third.status).toBe(200);
      const [a, b] = await Promise.all([first, second]);
      expect(Date.parse(third.body.output.timestamp)).toBeLessThan(Date.parse(b.body.output.timestamp));
      expect([a.body.output.success, b.body.output.success]).toEqual([true, true]);
      // The queued run started only after the first ended.
      const secondStarted = Date.parse(b.body.output.timestamp) - b.body.output.metadata.duration_ms;
      expect(secondStarted).toBeGreaterThanOrEqual(Date.parse(a.body.output.timestamp) - 50);
    } finally {
      await svc.close();
    }
  });

  it('answers 503 with Retry-After when every slot and the queue are taken', async () => {
    const svc = await startTestService({ mode: 'serve', env: { CCA_MAX_RUNS: '1', CCA_MAX_QUEUE: '0' }, responder: slow });
    try {
      const a = svc.runtime.keys.create('a').key;
      const b = svc.runtime.keys.create('b').key;
      const first = post(svc, a, '[[scenario:slow]] first');
      await waitFor(async () => (await health(svc)).runs.active === 1);
      const refused = await post(svc, b, '[[scenario:slow]] second');
      expect(refused.status).toBe(503);
      expect(refused.body.code).toBe('busy');
      expect(Number(refused.retryAfter)).toBeGreaterThan(0);
      expect((await first).body.output.success).toBe(true);
      // Nothing was lost: the refused request never became a session.
      const list = await fetch(`${svc.url}/sessions`, { headers: { 'x-api-key': b } });
      expect(((await list.json()) as any).sessions).toEqual([]);
    } finally {
      await svc.close();
    }
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
}
