/**
 * `/metrics` of `cca serve` after real runs (the real Claude Code binary against the scripted
 * model), read with a Prometheus text-format parser: invocations by outcome, tokens and cost by
 * key equal to what the outputs reported, stored files equal to the storage ledger, HTTP requests
 * by declared route; the operator token on the main port (API keys refused) and the port of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartOf } from '../support/archives.js';
import { scenarios, text, toolUse, type Reply } from '../support/model-server.js';
import { Scrape } from '../support/prometheus.js';
import { startTestService, type TestService } from '../support/service.js';

const TOKEN = 'e2e-metrics-token-0123456789abcdef';
const TYPES = ['input', 'output', 'cache_creation', 'cache_read'] as const;

const responder = scenarios({
  // Writes a file with tokens of its own counting, then answers.
  ok: [
    { content: [toolUse('Write', { file_path: 'report.md', content: '# report\n' })], usage: { input_tokens: 321, output_tokens: 54 } },
    { content: [text('Wrote the report.')], usage: { input_tokens: 400, output_tokens: 12 } },
  ],
  // Writes a file, then every later model call fails: a failed run that used tokens and stored a file.
  fails: (_req, turn): Reply =>
    turn === 0
      ? { content: [toolUse('Write', { file_path: 'partial.txt', content: 'partial\n' })], usage: { input_tokens: 77, output_tokens: 9 } }
      : { error: { status: 500, type: 'api_error', message: 'Internal server error' } },
});

let svc: TestService;
let keyA: { id: string; key: string };
let keyB: { id: string; key: string };
const outputs: { key: string; output: any }[] = [];

async function invoke(key: string, prompt: string): Promise<any> {
  const res = await fetch(`${svc.url}/invoke`, { method: 'POST', headers: { 'x-api-key': key }, body: JSON.stringify({ prompt }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { output: any }).output;
}

async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return new Scrape(await res.text());
}

beforeAll(async () => {
  svc = await startTestService({ mode: 'serve', responder, env: { CCA_METRICS_TOKEN: TOKEN, CCA_METRICS_PORT: '0' } });
  const a = svc.runtime.keys.create('alice');
  const b = svc.runtime.keys.create('bob');
  keyA = { id: a.record.id, key: a.key };
  keyB = { id: b.record.id, key: b.key };
  // One success and one failure, by two keys; and an upload into a session (no run).
  outputs.push({ key: keyA.id, output: await invoke(keyA.key, '[[scenario:ok]] write the report') });
  outputs.push({ key: keyB.id, output: await invoke(keyB.key, '[[scenario:fails]] write, then fail') });
  const form = multipartOf([['file', 'data/input.csv', 'a,b\n1,2\n']]);
  const upload = await fetch(`${svc.url}/sessions/metrics-upload-1/files`, {
    method: 'POST',
    headers: { 'x-api-key': keyA.key, 'content-type': form.contentType },
    body: form.body,
  });
  expect(upload.status).toBe(201);
});
afterAll(async () => svc?.close());

describe('/metrics after real runs', () => {
  it('counts the runs made by outcome, with their durations', async () => {
    const [ok, failed] = outputs.map((o) => o.output);
    expect(ok).toMatchObject({ success: true, stop_reason: 'completed' });
    expect(failed).toMatchObject({ success: false, stop_reason: 'error' });
    const s = await scrape(`${svc.url}/metrics`);
    expect(s.sum('cca_invocations_total', { status: 'succeeded', stop_reason: 'completed' })).toBe(1);
    expect(s.sum('cca_invocations_total', { status: 'failed', stop_reason: 'error' })).toBe(1);
    expect(s.sum('cca_invocations_total')).toBe(2);
    for (const [status, output] of [
      ['succeeded', ok],
      ['failed', failed],
    ] as const) {
      const h = s.histogram('cca_invocation_duration_seconds', { status });
      expect(h.count).toBe(1);
      // The same wall time the output reports, in seconds.
      expect(h.sum).toBeCloseTo(output.metadata.duration_ms / 1000, 6);
      expect(h.buckets['+Inf']).toBe(1);
    }
    const queue = s.histogram('cca_queue_wait_seconds', {});
    expect(queue.count).toBe(2);
    // Nothing runs or waits now.
    expect([s.sum('cca_runs_active'), s.sum('cca_runs_queued')]).toEqual([0, 0]);
    expect(s.sum('cca_runs_limit')).toBe(svc.config.maxRuns);
  });

  it("adds tokens and cost under each key's id, equal to the outputs' reported usage", async () => {
    const s = await scrape(`${svc.url}/metrics`);
    for (const { key, output } of outputs) {
      const usage = output.usage as Record<string, number>;
      const expected = {
        input: usage.input_tokens,
        output: usage.output_tokens,
        cache_creation: usage.cache_creation_input_tokens,
        cache_read: usage.cache_read_input_tokens,
      };
      for (const type of TYPES) expect(s.sum('cca_tokens_total', { key_id: key, type }), `${key} ${type}`).toBe(expected[type]);
      expect(s.sum('cca_cost_usd_total', { key_id: key })).toBeCloseTo(output.cost_usd, 9);
    }
    // The scripted usage reached the counters (the failed run's first turn included).
    expect(s.sum('cca_tokens_total', { key_id: keyA.id, type: 'output' })).toBeGreaterThanOrEqual(54 + 12);
    expect(s.sum('cca_tokens_total', { key_id: keyB.id, type: 'input' })).toBeGreaterThanOrEqual(77);
    // Key ids only: never the secret of a key, and no "-" series under `cca serve`, where every run has a key.
    expect(s.labelValues('cca_tokens_total', 'key_id')).toEqual([keyA.id, keyB.id].sort());
    expect(s.text).not.toContain(keyA.key);
    expect(s.text).not.toContain(keyB.key);
  });

  it('counts stored files as the storage ledger records them, and the upload into a session', async () => {
    const s = await scrape(`${svc.url}/metrics`);
    const ledger = svc.runtime.db.prepare('SELECT count(*) AS files, coalesce(sum(size), 0) AS bytes FROM stored_objects').get() as {
      files: number;
      bytes: number;
    };
    const uploaded = outputs.reduce((n, o) => n + o.output.metadata.uploaded_files_total, 0);
    expect(uploaded).toBe(2);
    expect(ledger.files).toBeGreaterThanOrEqual(uploaded);
    expect(s.sum('cca_stored_files_total')).toBe(ledger.files);
    expect(s.sum('cca_stored_bytes_total')).toBe(ledger.bytes);
    expect(s.sum('cca_store_failures_total')).toBe(0);
    expect([s.sum('cca_session_upload_files_total'), s.sum('cca_session_upload_bytes_total')]).toEqual([1, 8]);
  });

  it('counts HTTP requests by declared route and status, never by raw path', async () => {
    const sessionId = outputs[0]?.output.session_id as string;
    expect((await fetch(`${svc.url}/sessions/${sessionId}`, { headers: { 'x-api-key': keyA.key } })).status).toBe(200);
    expect((await fetch(`${svc.url}/sessions/${sessionId}`, { headers: { 'x-api-key': keyB.key } })).status).toBe(404);
    const s = await scrape(`${svc.url}/metrics`);
    expect(s.sum('cca_http_requests_total', { method: 'POST', route: '/invoke', status: '200' })).toBe(2);
    expect(s.sum('cca_http_requests_total', { method: 'POST', route: '/sessions/{session_id}/files', status: '201' })).toBe(1);
    expect(s.sum('cca_http_requests_total', { method: 'GET', route: '/sessions/{session_id}', status: '200' })).toBe(1);
    expect(s.sum('cca_http_requests_total', { method: 'GET', route: '/sessions/{session_id}', status: '404' })).toBe(1);
    expect(s.histogram('cca_http_request_duration_seconds', { method: 'POST', route: '/invoke', status: '200' }).count).toBe(2);
    const ids = [...outputs.map((o) => o.output.session_id as string), 'metrics-upload-1'];
    for (const name of ['cca_http_requests_total', 'cca_http_request_duration_seconds_count']) {
      for (const route of s.labelValues(name, 'route')) for (const id of ids) expect(route).not.toContain(id);
    }
  });

  it('asks for the operator token on the main port: none 401, wrong 403, an API key refused', async () => {
    const url = `${svc.url}/metrics`;
    const none = await fetch(url);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { message: string }).message).toContain('CCA_METRICS_TOKEN');
    expect((await fetch(url, { headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}x` } })).status).toBe(403);
    expect((await fetch(url, { headers: { authorization: `Bearer ${keyA.key}` } })).status).toBe(403);
    expect((await fetch(url, { headers: { 'x-api-key': keyA.key } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('serves the same figures on the port of its own, on loopback, behind the token too', async () => {
    const metricsUrl = svc.runtime.metricsUrl as string;
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(metricsUrl).port).not.toBe(new URL(svc.url).port);
    expect((await fetch(metricsUrl)).status).toBe(401);
    const [main, own] = [await scrape(`${svc.url}/metrics`), await scrape(metricsUrl)];
    expect(own.sum('cca_invocations_total')).toBe(2);
    expect(own.sum('cca_tokens_total')).toBe(main.sum('cca_tokens_total'));
    // The API is not served there.
    expect((await fetch(metricsUrl.replace(/\/metrics$/, '/invoke'), { method: 'POST' })).status).toBe(404);
  });
});
