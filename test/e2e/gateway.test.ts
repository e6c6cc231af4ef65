/**
 * The public API of `cca serve`: the original sample's curl, API keys, tenancy, sessions routes,
 * body limits and CORS, over real HTTP with the real Claude Code binary.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastToolResults, text, toolUse, type Responder } from '../support/model-server.js';
import { startTestService, type TestService } from '../support/service.js';

const sh = promisify(execFile);

/** Writes app.py on the first turn of any conversation, then answers. */
const writesApp: Responder = (req) => {
  if (req.kind === 'side') return { content: [text('ok')] };
  if (lastToolResults(req.body).length === 0) return { content: [toolUse('Write', { file_path: 'app.py', content: 'app = "users"\n' })] };
  return { content: [text('Built the user management API.')] };
};

async function call(
  svc: TestService,
  path: string,
  init: { key?: string; body?: unknown; headers?: Record<string, string>; method?: string } = {},
) {
  const headers: Record<string, string> = { ...(init.key !== undefined ? { 'x-api-key': init.key } : {}), ...init.headers };
  const res = await fetch(`${svc.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, body, headers: res.headers };
}

describe('cca serve: the public API', () => {
  let svc: TestService;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    svc = await startTestService({ mode: 'serve', responder: writesApp, env: { CCA_MAX_BODY_BYTES: '2048' } });
    keyA = svc.runtime.keys.create('alice', { ratePerS: 1000, burst: 1000, dailyQuota: 100_000 }).key;
    keyB = svc.runtime.keys.create('bob', { ratePerS: 1000, burst: 1000, dailyQuota: 100_000 }).key;
  });
  afterAll(async () => svc?.close());

  it("answers the original sample's curl command, byte for byte but for the endpoint and key", async () => {
    const script = `curl -X POST "$API_ENDPOINT" \\
  -H "x-api-key: $API_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{
    "prompt": "Create a REST API for user management",
    "permission_mode": "acceptEdits",
    "allowed_tools": "Bash,Read,Write,Replace,Search,List"
  }'`;
    const { stdout } = await sh('bash', ['-c', `${script} -s -w '\\n%{http_code}'`], {
      env: { PATH: process.env.PATH, API_ENDPOINT: `${svc.url}/invoke`, API_KEY: keyA },
    });
    const [json, status] = [stdout.slice(0, stdout.lastIndexOf('\n')), stdout.slice(stdout.lastIndexOf('\n') + 1)];
    expect(status).toBe('200');
    const { output } = JSON.parse(json);
    expect(output).toMatchObject({ success: true, result: 'Built the user management API.' });
    for (const field of ['session_id', 'timestamp', 'model']) expect(typeof output[field]).toBe('string');
    expect(output.metadata).toMatchObject({ num_turns: expect.any(Number), duration_ms: expect.any(Number) });
    expect(output.metadata.uploaded_files).toEqual([
      expect.objectContaining({ file_name: 'app.py', s3_url: expect.any(String), console_url: expect.any(String) }),
    ]);
  });

  it('refuses a missing, wrong, malformed, empty or revoked key with 403 {"message":"Forbidden"}', async () => {
    const revoked = svc.runtime.keys.create('temp');
    expect((await call(svc, '/sessions', { key: revoked.key })).status).toBe(200);
    svc.runtime.keys.revoke(revoked.record.id);
    const attempts = [
      await call(svc, '/sessions'),
      await call(svc, '/sessions', { key: '' }),
      await call(svc, '/sessions', { key: 'not-a-key' }),
      await call(svc, '/sessions', { key: `${keyA.slice(0, -1)}${keyA.endsWith('A') ? 'B' : 'A'}` }),
      await call(svc, '/sessions', { key: revoked.key }),
      await call(svc, '/sessions', { headers: { authorization: `Basic ${keyA}` } }),
      await call(svc, '/invoke', { body: { prompt: 'x' } }),
      await call(svc, '/invocations', { body: { prompt: 'x' } }),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ message: 'Forbidden' });
    }
  });

  it('accepts the key as x-api-key in any header case, or as a bearer token', async () => {
    expect((await call(svc, '/sessions', { headers: { 'X-API-KEY': keyA } })).status).toBe(200);
    expect((await call(svc, '/sessions', { headers: { Authorization: `Bearer ${keyA}` } })).status).toBe(200);
  });

  it('keeps sessions to the key that made them: 404 for any other key on every session route', async () => {
    const made = await call(svc, '/invoke', { key: keyA, body: { prompt: 'make it' } });
    const sessionId = made.body.output.session_id as string;
    expect((await call(svc, `/sessions/${sessionId}`, { key: keyA })).status).toBe(200);

    expect((await call(svc, `/sessions/${sessionId}`, { key: keyB })).status).toBe(404);
    const listB = await call(svc, '/sessions?limit=100', { key: keyB });
    expect(listB.body.sessions.map((s: any) => s.session_id)).not.toContain(sessionId);
    const continueB = await call(svc, '/invoke', { key: keyB, body: { prompt: 'steal it', session_id: sessionId } });
    expect(continueB.status).toBe(404);
    const viaHeader = await call(svc, '/invocations', {
      key: keyB,
      body: { prompt: 'steal it' },
      headers: { 'X-Amzn-Bedrock-AgentCore-Runtime-Session-Id': sessionId },
    });
    expect(viaHeader.status).toBe(404);
    // Nothing of B's attempts reached the session.
    const detail = await call(svc, `/sessions/${sessionId}`, { key: keyA });
    expect(detail.body.invocations).toHaveLength(1);
  });

  it('shows a session with status, prompt, result, usage, cost, fresh file links and timestamps', async () => {
    const made = await call(svc, '/invoke', { key: keyA, body: { prompt: 'show me' } });
    const { status, body } = await call(svc, `/sessions/${made.body.output.session_id}`, { key: keyA });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      session_id: made.body.output.session_id,
      status: 'succeeded',
      invocation_count: 1,
      last_prompt: 'show me',
    });
    const [inv] = body.invocations;
    expect(inv).toMatchObject({
      status: 'succeeded',
      prompt: 'show me',
      success: true,
      result: 'Built the user management API.',
      cost_usd: expect.any(Number),
      usage: expect.objectContaining({ input_tokens: expect.any(Number) }),
      started_at: expect.any(String),
      ended_at: expect.any(String),
    });
    expect(inv.files.map((f: any) => f.file_name)).toEqual(['app.py']);
    expect(await (await fetch(inv.files[0].download_url)).text()).toBe('app = "users"\n');
  });

  it('pages sessions newest first', async () => {
    const key = svc.runtime.keys.create('pager').key;
    const ids: string[] = [];
    for (const prompt of ['one', 'two', 'three']) ids.push((await call(svc, '/invoke', { key, body: { prompt } })).body.output.session_id);
    const first = await call(svc, '/sessions?limit=2', { key });
    expect(first.body.sessions.map((s: any) => s.session_id)).toEqual([ids[2], ids[1]]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await call(svc, `/sessions?limit=2&cursor=${first.body.next_cursor}`, { key });
    expect(second.body.sessions.map((s: any) => s.session_id)).toEqual([ids[0]]);
    expect(second.body.next_cursor).toBeNull();
    expect((await call(svc, '/sessions?limit=0', { key })).status).toBe(400);
    expect((await call(svc, '/sessions?cursor=garbage', { key })).status).toBe(400);
  });

  it('answers 413 to an oversize body and 400 to an oversize prompt field', async () => {
    const big = await call(svc, '/invoke', { key: keyA, body: { prompt: 'x'.repeat(5000) } });
    expect(big.status).toBe(413);
    expect(big.body.message).toMatch(/larger than 2048 bytes/);
  });

  it('answers CORS preflights without a key, and health without a key', async () => {
    const res = await fetch(`${svc.url}/invoke`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://example.com',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'x-api-key,content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-api-key');
    const health = await call(svc, '/health');
    expect(health.body).toMatchObject({ status: 'ok', runs: { active: 0, queued: 0 } });
  });
});

describe('cca serve: API reference', () => {
  it('serves /openapi.json and a readable /docs page without a key', async () => {
    const svc = await startTestService({ mode: 'serve' });
    try {
      const doc = (await (await fetch(`${svc.url}/openapi.json`)).json()) as any;
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(['/invoke', '/sessions', '/sessions/{session_id}', '/health', '/invocations']),
      );
      const page = await fetch(`${svc.url}/docs`);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(await page.text()).toContain('/sessions/{session_id}');
    } finally {
      await svc.close();
    }
  });
});

describe('cca serve: per-key caps on run limits', () => {
  it("bounds timeout_s, max_turns and max_budget_usd by the key's caps, and lowers its defaults to them", async () => {
    const svc = await startTestService({ mode: 'serve', responder: writesApp });
    try {
      const capped = svc.runtime.keys.create('capped', { maxTimeoutS: 60, maxTurns: 3, maxBudgetUsd: 0.5 }).key;
      const over = [
        [{ timeout_s: 61 }, /timeout_s is 61; at most 60/],
        [{ max_turns: 4 }, /max_turns is 4; at most 3/],
        [{ max_budget_usd: 0.6 }, /max_budget_usd is 0.6; at most 0.5/],
      ] as const;
      for (const [extra, message] of over) {
        const res = await call(svc, '/invoke', { key: capped, body: { prompt: 'x', ...extra } });
        expect(res.status).toBe(400);
        expect(res.body.message).toMatch(message);
      }
      // Within the caps it runs; the stored request shows the lowered defaults were applied.
      const ok = await call(svc, '/invoke', { key: capped, body: { prompt: 'make it', max_turns: 3 } });
      expect(ok.body.output.success).toBe(true);
      const uncapped = svc.runtime.keys.create('uncapped').key;
      expect((await call(svc, '/invoke', { key: uncapped, body: { prompt: 'x', max_turns: 4, async: true } })).status).toBe(202);
    } finally {
      await svc.close();
    }
  });
});
