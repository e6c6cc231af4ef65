/**
 * OpenTelemetry traces of `cca runtime` (the AgentCore contract, no keys) after real runs: a local
 * OTLP/HTTP receiver gets one trace per invocation, route → admission and invocation → queue,
 * workspace, Claude Code's run, storing and the session save, with the run's attributes; an
 * incoming `traceparent` is joined. Its `/metrics` counts the runs under `key_id="-"`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/config/index.js';
import { scenarios, text, toolUse, type Reply } from '../support/model-server.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { Scrape } from '../support/prometheus.js';
import { startTestService, type TestService } from '../support/service.js';

const TOKEN = 'e2e-traces-metrics-token-0123456789';
const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const STEPS = ['queue', 'workspace.restore', 'workspace.prepare', 'agent.run', 'artifacts.store', 'session.save'];

const responder = scenarios({
  ok: [{ content: [toolUse('Write', { file_path: 'traced.txt', content: 'traced\n' })] }, { content: [text('Done, traced.')] }],
  fails: (_req, turn): Reply =>
    turn === 0
      ? { content: [toolUse('Write', { file_path: 'partial.txt', content: 'partial\n' })] }
      : { error: { status: 500, type: 'api_error', message: 'Internal server error' } },
});

let receiver: OtlpReceiver;
let svc: TestService;
let ok: any;
let failed: any;
let scrape: Scrape;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  svc = await startTestService({
    responder,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-token=collector%20secret',
      OTEL_SERVICE_NAME: 'cca-e2e-traces',
      // Sessions saved at the end of each invocation (to the data dir), so the save has its span.
      CCA_SESSION_STATE: 'on',
      CCA_METRICS_TOKEN: TOKEN,
    },
  });
  const first = await svc.invoke(
    { prompt: '[[scenario:ok]] write a file' },
    { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`, tracestate: 'caller=1' },
  );
  const second = await svc.invoke({ prompt: '[[scenario:fails]] write, then fail' });
  expect([first.status, second.status]).toEqual([200, 200]);
  ok = first.body.output;
  failed = second.body.output;
  expect((await fetch(`${svc.url}/ping`)).status).toBe(200);
  const res = await fetch(`${svc.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  scrape = new Scrape(await res.text());
  // Closing exports what the batch still holds: the spans are all at the receiver once it returns.
  await svc.close();
});
afterAll(async () => {
  await svc?.close();
  await receiver?.close();
});

/** The spans of the trace whose invocation span has this invocation id. */
function traceOf(invocationId: string): ReceivedSpan[] {
  const invocation = receiver.spans.find((s) => s.name === 'invocation' && s.attributes['cca.invocation_id'] === invocationId);
  expect(invocation, `no invocation span for ${invocationId}`).toBeDefined();
  return receiver.spans.filter((s) => s.traceId === invocation?.traceId);
}

function only(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((s) => s.name === name);
  expect(
    found.map((s) => s.name),
    `spans named ${name}`,
  ).toEqual([name]);
  return found[0] as ReceivedSpan;
}

describe('traces over OTLP/HTTP', () => {
  it('exports one trace per invocation, with the configured service name and headers', () => {
    expect(ok).toMatchObject({ success: true, stop_reason: 'completed' });
    expect(failed).toMatchObject({ success: false, stop_reason: 'error' });
    const invocations = receiver.spans.filter((s) => s.name === 'invocation');
    expect(invocations).toHaveLength(2);
    expect(new Set(invocations.map((s) => s.traceId)).size).toBe(2);
    expect(receiver.requests.length).toBeGreaterThan(0);
    for (const r of receiver.requests) {
      expect(r.path).toBe('/v1/traces');
      expect(r.headers['x-collector-token']).toBe('collector secret');
    }
    // Health checks and scrapes are polled: they have no traces of their own.
    expect(receiver.spans.filter((s) => s.kind === 2).map((s) => s.name)).toEqual(['POST /invocations', 'POST /invocations']);
    expect(invocations[0]?.resource).toMatchObject({ 'service.name': 'cca-e2e-traces', 'service.version': VERSION });
  });

  it("joins the caller's traceparent: route → admission and invocation → each step, parent to child", () => {
    const spans = traceOf(ok.invocation_id);
    expect(spans[0]?.traceId).toBe(CALLER_TRACE);
    const route = only(spans, 'POST /invocations');
    expect(route).toMatchObject({
      parentSpanId: CALLER_SPAN,
      kind: 2,
      attributes: { 'http.request.method': 'POST', 'http.route': '/invocations', 'http.response.status_code': 200 },
    });
    const admission = only(spans, 'admission');
    const invocation = only(spans, 'invocation');
    expect(admission.parentSpanId).toBe(route.spanId);
    expect(invocation.parentSpanId).toBe(route.spanId);
    expect(admission.attributes).toMatchObject({ 'session.id': ok.session_id, 'cca.invocation_id': ok.invocation_id });
    for (const step of STEPS) expect(only(spans, step).parentSpanId, step).toBe(invocation.spanId);
    // Nothing else in the trace: no span of another invocation, no orphan.
    expect(spans.map((s) => s.name).sort()).toEqual(['POST /invocations', 'admission', 'invocation', ...STEPS].sort());
  });

  it('describes the run on its spans: ids, model, stop reason, tokens, cost, files', () => {
    const spans = traceOf(ok.invocation_id);
    const invocation = only(spans, 'invocation');
    expect(invocation.attributes).toMatchObject({
      'session.id': ok.session_id,
      'cca.invocation_id': ok.invocation_id,
      'cca.status': 'succeeded',
      'cca.stop_reason': 'completed',
      'cca.cost_usd': ok.cost_usd,
      'cca.files.stored': ok.metadata.uploaded_files_total,
      'gen_ai.response.model': ok.model,
      'gen_ai.usage.input_tokens': ok.usage.input_tokens,
      'gen_ai.usage.output_tokens': ok.usage.output_tokens,
    });
    expect(invocation.attributes['cca.key_id']).toBeUndefined();
    expect(invocation.status.code).toBe(0);
    expect(only(spans, 'agent.run').attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.provider.name': 'anthropic',
      'cca.stop_reason': 'completed',
      'gen_ai.usage.output_tokens': ok.usage.output_tokens,
    });
    expect(only(spans, 'artifacts.store').attributes).toMatchObject({ 'cca.files.stored': 1, 'cca.storage': 'local' });
  });

  it('starts its own trace without a traceparent, and marks a failed run as an error', () => {
    const spans = traceOf(failed.invocation_id);
    const route = only(spans, 'POST /invocations');
    expect(route.traceId).not.toBe(CALLER_TRACE);
    expect(route.parentSpanId).toBe('');
    const invocation = only(spans, 'invocation');
    expect(invocation.attributes).toMatchObject({ 'cca.status': 'failed', 'cca.stop_reason': 'error' });
    expect(invocation.status).toMatchObject({ code: 2, message: expect.stringMatching(/500|api_error|Internal server error/i) });
    expect(only(spans, 'agent.run').status.code).toBe(2);
    // The service itself did not fail: the request answered 200 and its span is not an error.
    expect(route.status.code).toBe(0);
  });

  it('counts the runs of the runtime (no keys) under key_id "-" on its /metrics', () => {
    expect(scrape.sum('cca_invocations_total', { status: 'succeeded' })).toBe(1);
    expect(scrape.sum('cca_invocations_total', { status: 'failed' })).toBe(1);
    expect(scrape.labelValues('cca_tokens_total', 'key_id')).toEqual(['-']);
    expect(scrape.sum('cca_tokens_total', { key_id: '-', type: 'input' })).toBe(ok.usage.input_tokens + failed.usage.input_tokens);
    expect(scrape.sum('cca_cost_usd_total', { key_id: '-' })).toBeCloseTo(ok.cost_usd + failed.cost_usd, 9);
  });
});
