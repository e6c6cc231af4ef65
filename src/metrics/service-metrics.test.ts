import { describe, expect, it } from 'vitest';
import { Scrape } from '../../test/support/prometheus.js';
import { ServiceMetrics } from './service-metrics.js';

const usage = (input: number, output: number, cacheCreation = 0, cacheRead = 0) => ({
  input_tokens: input,
  output_tokens: output,
  cache_creation_input_tokens: cacheCreation,
  cache_read_input_tokens: cacheRead,
});

function metricsWith(runs = { active: 2, queued: 3 }) {
  return new ServiceMetrics({
    version: '9.9.9',
    runs: { active: () => runs.active, queued: () => runs.queued, limit: 4, queueLimit: 16 },
  });
}

const scrape = async (m: ServiceMetrics) => new Scrape((await m.scrape()).body);

describe('ServiceMetrics', () => {
  it('counts ended invocations by status and stop reason, with durations in seconds', async () => {
    const m = metricsWith();
    const base = { costUsd: 0, failedUploads: 0, usage: undefined, keyId: undefined };
    m.invocationFinished({ ...base, status: 'succeeded', stopReason: 'completed', durationMs: 1500 });
    m.invocationFinished({ ...base, status: 'succeeded', stopReason: 'completed', durationMs: 3000 });
    m.invocationFinished({ ...base, status: 'failed', stopReason: 'error', durationMs: 200 });
    const s = await scrape(m);
    expect(s.types.get('cca_invocations_total')).toBe('COUNTER');
    expect(s.sum('cca_invocations_total', { status: 'succeeded', stop_reason: 'completed' })).toBe(2);
    expect(s.sum('cca_invocations_total', { status: 'failed', stop_reason: 'error' })).toBe(1);
    const succeeded = s.histogram('cca_invocation_duration_seconds', { status: 'succeeded' });
    expect(succeeded).toMatchObject({ count: 2, sum: 4.5 });
    expect(succeeded.buckets).toMatchObject({ '1': 0, '2.5': 1, '5': 2, '+Inf': 2 });
    expect(s.histogram('cca_invocation_duration_seconds', { status: 'failed' })).toMatchObject({ count: 1, sum: 0.2 });
  });

  it('adds tokens and cost under the key id, "-" without a key, and never a label of anything else', async () => {
    const m = metricsWith();
    const end = { status: 'succeeded', stopReason: 'completed', durationMs: 1, failedUploads: 0 };
    m.invocationFinished({ ...end, keyId: 'aaaaaaaaaaaa', usage: usage(100, 20, 5, 7), costUsd: 0.25 });
    m.invocationFinished({ ...end, keyId: 'aaaaaaaaaaaa', usage: usage(50, 10), costUsd: 0.5 });
    m.invocationFinished({ ...end, keyId: undefined, usage: usage(1, 2), costUsd: 0.125 });
    const s = await scrape(m);
    expect(s.sum('cca_tokens_total', { key_id: 'aaaaaaaaaaaa', type: 'input' })).toBe(150);
    expect(s.sum('cca_tokens_total', { key_id: 'aaaaaaaaaaaa', type: 'output' })).toBe(30);
    expect(s.sum('cca_tokens_total', { key_id: 'aaaaaaaaaaaa', type: 'cache_creation' })).toBe(5);
    expect(s.sum('cca_tokens_total', { key_id: 'aaaaaaaaaaaa', type: 'cache_read' })).toBe(7);
    expect(s.sum('cca_cost_usd_total', { key_id: 'aaaaaaaaaaaa' })).toBe(0.75);
    expect(s.sum('cca_cost_usd_total', { key_id: '-' })).toBe(0.125);
    expect(s.labelValues('cca_tokens_total', 'type')).toEqual(['cache_creation', 'cache_read', 'input', 'output']);
  });

  it('reads the run slots at each scrape', async () => {
    const runs = { active: 2, queued: 3 };
    const m = metricsWith(runs);
    let s = await scrape(m);
    expect([s.sum('cca_runs_active'), s.sum('cca_runs_queued'), s.sum('cca_runs_limit'), s.sum('cca_queue_limit')]).toEqual([2, 3, 4, 16]);
    runs.active = 0;
    runs.queued = 1;
    s = await scrape(m);
    expect([s.sum('cca_runs_active'), s.sum('cca_runs_queued')]).toEqual([0, 1]);
  });

  it('counts stored files, uploads into sessions, store failures and HTTP requests', async () => {
    const m = metricsWith();
    m.fileStored(100);
    m.fileStored(23);
    m.sessionUpload(2, 1544);
    m.invocationFinished({
      status: 'failed',
      stopReason: 'error',
      keyId: undefined,
      durationMs: 1,
      usage: undefined,
      costUsd: 0,
      failedUploads: 3,
    });
    m.httpRequest('POST', '/invoke', 200, 0.3);
    m.httpRequest('BREW', 'unmatched', 404, 0.001);
    const s = await scrape(m);
    expect([s.sum('cca_stored_files_total'), s.sum('cca_stored_bytes_total'), s.sum('cca_store_failures_total')]).toEqual([2, 123, 3]);
    expect([s.sum('cca_session_upload_files_total'), s.sum('cca_session_upload_bytes_total')]).toEqual([2, 1544]);
    expect(s.sum('cca_http_requests_total', { method: 'POST', route: '/invoke', status: '200' })).toBe(1);
    expect(s.sum('cca_http_requests_total', { method: 'other', route: 'unmatched', status: '404' })).toBe(1);
    expect(s.histogram('cca_http_request_duration_seconds', { method: 'POST', route: '/invoke', status: '200' })).toMatchObject({
      count: 1,
      sum: 0.3,
    });
  });

  it('declares the series other parts feed (webhook deliveries, budget refusals), and the build and process figures', async () => {
    const m = metricsWith();
    m.webhookDeliveries.inc({ type: 'invocation.completed', outcome: 'delivered' });
    m.mcpToolCalls.inc({ server: 'docs', outcome: 'ok' });
    m.budgetRefused('aaaaaaaaaaaa', 'month', 'held');
    const s = await scrape(m);
    expect(s.sum('cca_webhook_deliveries_total', { type: 'invocation.completed', outcome: 'delivered' })).toBe(1);
    expect(s.sum('cca_mcp_tool_calls_total', { server: 'docs', outcome: 'ok' })).toBe(1);
    expect(s.sum('cca_budget_refusals_total', { key_id: 'aaaaaaaaaaaa', period: 'month', reason: 'held' })).toBe(1);
    expect(s.samples('cca_build_info')).toEqual([{ value: '1', labels: { version: '9.9.9' } }]);
    expect(s.sum('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(s.types.get('nodejs_eventloop_lag_seconds')).toBe('GAUGE');
  });

  it('keeps two services in one process apart (a registry each, not the global one)', async () => {
    const a = metricsWith();
    const b = metricsWith();
    a.fileStored(5);
    expect((await scrape(a)).sum('cca_stored_files_total')).toBe(1);
    expect((await scrape(b)).sum('cca_stored_files_total')).toBe(0);
  });
});
