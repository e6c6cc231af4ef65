import { describe, expect, it } from 'vitest';
import { metricsApp } from './metrics-route.js';
import { ServiceMetrics } from './service-metrics.js';

const metrics = new ServiceMetrics({
  version: '1',
  runs: { active: () => 0, queued: () => 0, limit: 1, queueLimit: 0 },
  processMetrics: false,
});

describe('metricsApp (the app of --metrics-port)', () => {
  it('serves GET /metrics and nothing else, without a token when none is set', async () => {
    const app = metricsApp(metrics, undefined);
    const res = await app.request('/metrics');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('cca_build_info{version="1"} 1');
    const other = await app.request('/invoke', { method: 'POST' });
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ message: 'This port serves only GET /metrics (got POST /invoke).' });
  });

  it('asks for the token there too when the operator set one', async () => {
    const app = metricsApp(metrics, 'operator-metrics-token-0123456789');
    expect((await app.request('/metrics')).status).toBe(401);
    expect((await app.request('/metrics', { headers: { authorization: 'Bearer wrong-token-000000000000' } })).status).toBe(403);
    const ok = await app.request('/metrics', { headers: { authorization: 'Bearer operator-metrics-token-0123456789' } });
    expect(ok.status).toBe(200);
  });
});
