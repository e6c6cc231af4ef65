/**
 * Signed webhooks end to end (issue 14): the real Claude Code through the scripted model, the
 * service over real HTTP, and a real receiver on 127.0.0.2 that verifies every signature with the
 * standardwebhooks package and fails the first attempts. The service reaches 127.0.0.2 only because
 * CCA_PRIVATE_HOSTS says so; 127.0.0.1 (where `localhost` resolves) stays refused, which is how a
 * name resolving to a blocked address is tested without a DNS server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { keysCommand, webhooksCommand } from '../../src/cli/entries.js';
import type { CliIo } from '../../src/cli/io.js';
import { WebhookDeliveryListSchema, WebhookPayloadSchema } from '../../src/schemas/webhooks.js';
import { listening, SERVE_BANNER_END } from '../support/cca-banner.js';
import { scenarios, startModelServer, text, toolUse, type ModelServer } from '../support/model-server.js';
import { scrapeMetrics } from '../support/prometheus.js';
import { startTestService, type TestService } from '../support/service.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const CCA = path.resolve(import.meta.dirname, '../../bin/cca');
const RECEIVER_HOST = '127.0.0.2';
/** Fast retries for tests: at once, then 0.3 s between attempts, 5 attempts. */
const SCHEDULE = '0,0.3,0.3,0.3,0.3';
const METRICS_TOKEN = 'e2e-webhooks-metrics-token-0123456789';

const SCRIPTS = {
  write: [
    { content: [text('Writing it.'), toolUse('Write', { file_path: 'hello.py', content: 'print("hi")\n' })] },
    { content: [text('Wrote hello.py.')] },
  ],
  ask: [{ content: [toolUse('Write', { file_path: 'approved.txt', content: 'yes\n' })] }, { content: [text('asked')] }],
  quick: [{ content: [text('Nothing to write.')] }],
};

function capture(): { io: CliIo; out: () => string; err: () => string } {
  let stdout = '';
  let stderr = '';
  return { io: { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, out: () => stdout, err: () => stderr };
}

/** Runs `cca keys ...` on a data dir and returns its stdout (the status must be 0). */
async function keys(dataDir: string, args: string[]): Promise<string> {
  const c = capture();
  // The operator's environment: the CLI checks a default webhook URL with the same allowance as the service.
  const code = await keysCommand(args, { CCA_DATA_DIR: dataDir, CCA_PRIVATE_HOSTS: RECEIVER_HOST }, c.io);
  expect(code, c.err()).toBe(0);
  return c.out();
}

async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('webhooks under cca serve', () => {
  let svc: TestService;
  let hook: WebhookReceiver;
  let key: string;
  let keyId: string;
  let secret: string;

  const headers = () => ({ 'x-api-key': key, 'content-type': 'application/json' });
  const post = async (route: string, body: unknown) => {
    const res = await fetch(`${svc.url}${route}`, { method: 'POST', headers: headers(), body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };
  const deliveries = async (sessionId: string) => {
    const res = await fetch(`${svc.url}/sessions/${sessionId}/webhooks`, { headers: headers() });
    expect(res.status).toBe(200);
    return WebhookDeliveryListSchema.parse(await res.json()).deliveries;
  };

  beforeAll(async () => {
    svc = await startTestService({
      mode: 'serve',
      env: { CCA_PRIVATE_HOSTS: RECEIVER_HOST, CCA_WEBHOOK_RETRY_SCHEDULE: SCHEDULE, CCA_METRICS_TOKEN: METRICS_TOKEN },
      responder: scenarios(SCRIPTS),
    });
    const created = svc.runtime.keys.create('hooks', { ratePerS: 1000, burst: 1000, dailyQuota: 100_000 });
    key = created.key;
    keyId = created.record.id;
    // The operator's way: the CLI, on the data dir of the running service.
    secret = (JSON.parse(await keys(svc.dataDir, ['webhook-secret', keyId, '--json'])) as { webhook_secret: string }).webhook_secret;
    hook = await startWebhookReceiver({ host: RECEIVER_HOST, secret });
  });
  afterAll(async () => {
    await hook?.close();
    await svc?.close();
  });
  afterEach(() => {
    hook.received.length = 0;
    hook.plan([]);
  });

  it('delivers invocation.completed after a 500 and a dropped connection, with one webhook-id and valid signatures', async () => {
    hook.plan([500, 'drop']);
    const counted = async (outcome: string) =>
      (await scrapeMetrics(svc.url, METRICS_TOKEN)).sum('cca_webhook_deliveries_total', { type: 'invocation.completed', outcome });
    const [retryingBefore, deliveredBefore] = [await counted('retrying'), await counted('delivered')];
    const { status, body } = await post('/invoke', { prompt: '[[scenario:write]] write hello.py', webhook: { url: hook.url } });
    expect(status).toBe(200);
    expect(body.output.success).toBe(true);
    const sessionId = body.output.session_id as string;

    const got = await hook.waitFor((r) => r.length >= 3 && r);
    expect(got).toHaveLength(3);
    expect(new Set(got.map((r) => r.id)).size).toBe(1);
    expect(got.map((r) => r.answer)).toEqual([500, 'drop', 200]);
    expect(
      got.every((r) => r.verified),
      JSON.stringify(got.map((r) => r.error)),
    ).toBe(true);
    // The body is the same on every attempt; the timestamp is each attempt's own.
    expect(new Set(got.map((r) => r.body)).size).toBe(1);

    const payload = WebhookPayloadSchema.parse(got[2]!.payload);
    expect(payload).toMatchObject({
      type: 'invocation.completed',
      data: {
        session_id: sessionId,
        invocation_id: body.output.invocation_id,
        status: 'succeeded',
        success: true,
        result: 'Wrote hello.py.',
        stop_reason: 'completed',
        files_total: 1,
        links: { session: `${svc.url}/sessions/${sessionId}` },
      },
    });
    const [file] = (payload.data as { files: { file_name: string; download_url: string }[] }).files;
    expect(file?.file_name).toBe('hello.py');
    expect(await (await fetch(file!.download_url)).text()).toBe('print("hi")\n');

    const [delivery] = await waitFor('the delivery recorded as delivered', async () => {
      const list = await deliveries(sessionId);
      return list[0]?.state === 'delivered' && list;
    });
    expect(delivery).toMatchObject({
      id: got[0]!.id,
      type: 'invocation.completed',
      url: hook.url,
      attempts: 3,
      max_attempts: 5,
      last_status: 200,
      last_error: null,
      next_attempt_at: null,
    });
    // Each attempt is counted in /metrics by its outcome.
    expect(await counted('retrying')).toBe(retryingBefore + 2);
    expect(await counted('delivered')).toBe(deliveredBefore + 1);
    expect(JSON.stringify(await deliveries(sessionId))).not.toContain(secret.slice(6));
    // Another key's session does not exist, its deliveries neither.
    const other = svc.runtime.keys.create('other').key;
    for (const [method, route] of [
      ['GET', `/sessions/${sessionId}/webhooks`],
      ['POST', `/sessions/${sessionId}/webhooks/${delivery!.id}/retry`],
    ] as const) {
      expect((await fetch(`${svc.url}${route}`, { method, headers: { 'x-api-key': other } })).status, route).toBe(404);
    }

    const c = capture();
    expect(await webhooksCommand(['list', sessionId, '--endpoint', svc.url, '--api-key', key], {}, c.io)).toBe(0);
    expect(c.out()).toMatch(new RegExp(`${got[0]!.id} +invocation\\.completed +delivered +3/5 +200 `));
  });

  it('delivers permission.request in manual mode; answering at its answer.url lets the run finish', async () => {
    const accepted = await post('/invoke', {
      prompt: '[[scenario:ask]] go',
      permission_mode: 'manual',
      async: true,
      webhook: { url: hook.url, events: ['permission.request', 'invocation.completed'] },
    });
    expect(accepted.status).toBe(202);
    const request = await hook.waitFor((r) => r.find((d) => d.payload?.type === 'permission.request'));
    expect(request.verified).toBe(true);
    expect(request.payload.data).toMatchObject({
      session_id: accepted.body.session_id,
      invocation_id: accepted.body.invocation_id,
      tool: 'Write',
      input_summary: expect.stringContaining('approved.txt'),
      answer: { method: 'POST', body: { decision: 'allow' } },
    });
    // What a receiver would do: answer through the API, at the URL the payload gives.
    const answer = await fetch(request.payload.data.answer.url, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ decision: 'allow' }),
    });
    expect(answer.status).toBe(200);
    const done = await hook.waitFor((r) => r.find((d) => d.payload?.type === 'invocation.completed'));
    expect(done.payload.data).toMatchObject({ status: 'succeeded', files: [expect.objectContaining({ file_name: 'approved.txt' })] });
    expect(hook.received.map((r) => r.payload?.type).sort()).toEqual(['invocation.completed', 'permission.request']);
  });

  it('refuses a loopback or metadata webhook URL without the allowance: 400 before anything runs', async () => {
    const before = await (await fetch(`${svc.url}/sessions`, { headers: headers() })).json();
    for (const url of [
      'http://127.0.0.1:9/hooks',
      'https://169.254.169.254/latest/meta-data/',
      'https://[::1]/x',
      `http://${RECEIVER_HOST.replace('2', '3')}/x`,
    ]) {
      const { status, body } = await post('/invoke', { prompt: '[[scenario:quick]] x', webhook: { url } });
      expect(status, url).toBe(400);
      expect(body).toMatchObject({
        code: 'invalid_request',
        field: 'webhook.url',
        message: expect.stringMatching(/loopback, private, link-local or metadata|CCA_PRIVATE_HOSTS/),
      });
    }
    const { status, body } = await post('/invoke', { prompt: '[[scenario:quick]] x', webhook: { url: 'http://example.com/hooks' } });
    expect(status).toBe(400);
    expect(body.message).toMatch(/must use https/);
    expect(await (await fetch(`${svc.url}/sessions`, { headers: headers() })).json()).toEqual(before);
    expect(hook.received).toEqual([]);
  });

  it('fails, with the reason, a delivery whose name resolves to a blocked address; the run succeeds all the same', async () => {
    const { status, body } = await post('/invoke', {
      prompt: '[[scenario:write]] again',
      webhook: { url: `https://localhost:${hook.port}/hooks` },
    });
    expect(status).toBe(200);
    expect(body.output.success).toBe(true);
    expect(body.output.metadata.uploaded_files.map((f: any) => f.file_name)).toEqual(['hello.py']);
    const [delivery] = await waitFor('the delivery failed', async () => {
      const list = await deliveries(body.output.session_id);
      return list[0]?.state === 'failed' && list;
    });
    expect(delivery).toMatchObject({
      attempts: 1,
      last_status: null,
      last_error: expect.stringMatching(/localhost is at (127\.0\.0\.1|::1), a loopback.*webhooks may not reach/),
    });
    expect(hook.received).toEqual([]);
  });

  it('stops at a 410 Gone; cca webhooks retry sends the delivery again, same webhook-id', async () => {
    hook.plan([410]);
    const { status, body } = await post('/invoke', {
      prompt: '[[scenario:quick]] gone',
      webhook: { url: hook.url, events: ['invocation.completed'] },
    });
    expect(status).toBe(200);
    const sessionId = body.output.session_id as string;
    const [failed] = await waitFor('the delivery failed', async () => {
      const list = await deliveries(sessionId);
      return list[0]?.state === 'failed' && list;
    });
    expect(failed).toMatchObject({ attempts: 1, last_status: 410, last_error: expect.stringMatching(/410 Gone/) });
    expect(hook.received).toHaveLength(1);

    const c = capture();
    expect(await webhooksCommand(['retry', sessionId, failed!.id, '--endpoint', svc.url, '--api-key', key], {}, c.io), c.err()).toBe(0);
    const again = await hook.waitFor((r) => r.length >= 2 && r[1]);
    expect(again).toMatchObject({ id: failed!.id, verified: true, answer: 200, body: hook.received[0]!.body });
    await waitFor('delivered on the retry', async () => (await deliveries(sessionId))[0]?.state === 'delivered');
    const unknown = capture();
    expect(await webhooksCommand(['retry', sessionId, 'msg_nope', '--endpoint', svc.url, '--api-key', key], {}, unknown.io)).toBe(1);
    expect(unknown.err()).toMatch(/has no webhook delivery msg_nope/);
  });

  it('uses the key\'s default webhook when a request names none, and none for "webhook": null', async () => {
    await keys(svc.dataDir, ['update', keyId, '--webhook-url', hook.url, '--webhook-events', 'invocation.completed']);
    try {
      const quiet = await post('/invoke', { prompt: '[[scenario:quick]] no webhook', webhook: null });
      expect(quiet.status).toBe(200);
      const byDefault = await post('/invoke', { prompt: '[[scenario:quick]] the default' });
      expect(byDefault.status).toBe(200);
      const got = await hook.waitFor((r) => r.find((d) => d.payload?.data?.session_id === byDefault.body.output.session_id));
      expect(got.verified).toBe(true);
      expect(await deliveries(quiet.body.output.session_id)).toEqual([]);
      // A continued session gets the default again, not the webhook of an earlier request.
      const again = await post('/invoke', { prompt: '[[scenario:quick]] more', session_id: quiet.body.output.session_id });
      expect(again.status).toBe(200);
      await hook.waitFor((r) => r.find((d) => d.payload?.data?.invocation_id === again.body.output.invocation_id));
    } finally {
      await keys(svc.dataDir, ['update', keyId, '--webhook-url', 'none']);
    }
  });
});

describe('webhooks under cca runtime (no keys): the operator secret signs', () => {
  let svc: TestService;
  let hook: WebhookReceiver;
  const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;

  beforeAll(async () => {
    svc = await startTestService({
      env: { CCA_PRIVATE_HOSTS: RECEIVER_HOST, CCA_WEBHOOK_RETRY_SCHEDULE: SCHEDULE, CCA_WEBHOOK_SECRET: secret },
      responder: scenarios(SCRIPTS),
    });
    hook = await startWebhookReceiver({ host: RECEIVER_HOST, secret, plan: [503] });
  });
  afterAll(async () => {
    await hook?.close();
    await svc?.close();
  });

  it('delivers to the webhook of an /invocations request, signed with CCA_WEBHOOK_SECRET', async () => {
    const { status, body } = await svc.invoke({
      input: { prompt: '[[scenario:quick]] hi', webhook: { url: hook.url, events: ['invocation.completed'] } },
    });
    expect(status).toBe(200);
    const got = await hook.waitFor((r) => r.length >= 2 && r);
    expect(got.map((r) => [r.answer, r.verified])).toEqual([
      [503, true],
      [200, true],
    ]);
    expect(got[1]!.payload).toMatchObject({ type: 'invocation.completed', data: { session_id: body.output.session_id } });
    // No sessions API here: no links to it.
    expect(got[1]!.payload.data.links).toBeUndefined();
  });
});

describe('webhooks across a restart of cca serve (the build in dist/)', () => {
  let model: ModelServer;
  let hook: WebhookReceiver;
  let dir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    model = await startModelServer(scenarios(SCRIPTS));
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-webhooks-restart-'));
  });
  afterAll(async () => {
    for (const child of children) {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await hook?.close();
    await model?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function serve(): Promise<{ child: ChildProcess; url: string; exited: Promise<unknown> }> {
    const child = spawn(CCA, ['serve', '--port', '0', '--data-dir', dir], {
      env: {
        PATH: process.env.PATH,
        ANTHROPIC_BASE_URL: model.url,
        ANTHROPIC_API_KEY: 'sk-test',
        CCA_MODEL_MAX_RETRIES: '0',
        CCA_LOG_LEVEL: 'warn',
        CCA_PRIVATE_HOSTS: RECEIVER_HOST,
        // One attempt a second: the service is killed between two.
        CCA_WEBHOOK_RETRY_SCHEDULE: '0,1,1,1,1,1,1,1,1,1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.push(child);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const { url } = await listening(child, SERVE_BANNER_END);
    return { child, url, exited };
  }

  it('still delivers a delivery that was being retried when the service was killed, with the same webhook-id', async () => {
    const created = JSON.parse(await keys(dir, ['create', '--name', 'restart', '--json'])) as { key: string; webhook_secret: string };
    hook = await startWebhookReceiver({ host: RECEIVER_HOST, secret: created.webhook_secret, plan: Array(50).fill(500) });
    const first = await serve();
    const res = await fetch(`${first.url}/invoke`, {
      method: 'POST',
      headers: { 'x-api-key': created.key, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: '[[scenario:write]] write it', webhook: { url: hook.url } }),
    });
    expect(res.status).toBe(200);
    const { output } = (await res.json()) as any;
    expect(output.success).toBe(true);
    await hook.waitFor((r) => r.length >= 1);
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.exited;
    const refusedBefore = hook.received.length;
    expect(hook.received.every((r) => r.answer === 500 && r.verified)).toBe(true);

    hook.plan([]);
    const second = await serve();
    const delivered = await hook.waitFor((r) => r.find((d) => d.answer === 200));
    expect(delivered.verified).toBe(true);
    expect(new Set(hook.received.map((r) => r.id))).toEqual(new Set([delivered.id]));
    expect(hook.received.length).toBe(refusedBefore + 1);
    expect(delivered.payload).toMatchObject({ type: 'invocation.completed', data: { session_id: output.session_id } });

    const list = await waitFor('delivered, as the deliveries route says', async () => {
      const r = await fetch(`${second.url}/sessions/${output.session_id}/webhooks`, { headers: { 'x-api-key': created.key } });
      const body = WebhookDeliveryListSchema.parse(await r.json());
      return body.deliveries[0]?.state === 'delivered' && body.deliveries;
    });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: delivered.id, state: 'delivered', last_status: 200 });
    // The attempt the kill interrupted (if one was in flight) reached the receiver but was never recorded.
    expect(list[0]!.attempts).toBeGreaterThanOrEqual(2);
    expect(list[0]!.attempts).toBeLessThanOrEqual(refusedBefore + 1);
  });
});
