/**
 * `/metrics` on the service's own app: behind the operator's token (never an API key), and
 * counting requests by their declared route, never the raw path. Requests go through the real app
 * of `cca serve` (app.request, no socket); they stop at the key middleware or routing, so the
 * parts behind the routes are never called.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { serviceApp } from '../../test/support/service-document.js';
import { Scrape } from '../../test/support/prometheus.js';
import { buildOpenApi } from '../gateway/index.js';
import { KeyRepo } from '../keys/index.js';

const TOKEN = 'operator-metrics-token-0123456789';
const service = serviceApp('serve', (config) => ({ ...config, metrics: { ...config.metrics, token: TOKEN } }));
const { app } = service;
afterAll(() => service.close());

const documentOf = (s: ReturnType<typeof serviceApp>) => buildOpenApi(s.app, { version: '1', limits: s.config.limits });

const scrape = async () => {
  const res = await app.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return new Scrape(await res.text());
};

describe('/metrics on the main port', () => {
  it('asks for the token: 401 without one, 403 with another or with an API key, 200 with it', async () => {
    const apiKey = new KeyRepo(service.db).create('tenant').key;
    const none = await app.request('/metrics');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.json()).toMatchObject({ code: 'unauthorized', message: expect.stringContaining('CCA_METRICS_TOKEN') });
    // An API key, however presented, is a tenant's credential: it never opens the figures of every tenant.
    expect((await app.request('/metrics', { headers: { 'x-api-key': apiKey } })).status).toBe(401);
    const asBearer = await app.request('/metrics', { headers: { authorization: `Bearer ${apiKey}` } });
    expect(asBearer.status).toBe(403);
    expect(await asBearer.json()).toMatchObject({ code: 'forbidden', message: expect.stringContaining('API keys do not open /metrics') });
    expect((await app.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(403);
    expect((await app.request('/metrics', { headers: { authorization: `Basic ${TOKEN}` } })).status).toBe(401);
    expect((await app.request('/metrics', { headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('counts requests by declared route and status, never by raw path or method token', async () => {
    expect((await app.request('/sessions/s-secret-123/events')).status).toBe(403);
    expect((await app.request('/sessions/s-secret-456')).status).toBe(403);
    expect((await app.request('/no/such/path-789')).status).toBe(404);
    expect((await app.request('/health', { method: 'PROPFIND' })).status).toBe(405); // a path it has, with GET
    const s = await scrape();
    expect(s.sum('cca_http_requests_total', { method: 'GET', route: '/sessions/{session_id}/events', status: '403' })).toBe(1);
    expect(s.sum('cca_http_requests_total', { method: 'GET', route: '/sessions/{session_id}', status: '403' })).toBe(1);
    expect(s.sum('cca_http_requests_total', { route: 'unmatched', status: '404' })).toBe(1);
    expect(s.sum('cca_http_requests_total', { route: 'unmatched', status: '405' })).toBe(1);
    expect(s.sum('cca_http_requests_total', { method: 'other' })).toBe(1);
    // The earlier test's refusals are counted under the route, too.
    expect(s.sum('cca_http_requests_total', { route: '/metrics', status: '401' })).toBeGreaterThanOrEqual(3);
    expect(s.histogram('cca_http_request_duration_seconds', { method: 'GET', route: '/sessions/{session_id}', status: '403' }).count).toBe(
      1,
    );
    for (const route of s.labelValues('cca_http_requests_total', 'route')) {
      expect(route === 'unmatched' || route.startsWith('/')).toBe(true);
      expect(route).not.toMatch(/secret|789/);
    }
  });

  it('is in the OpenAPI document with its own security scheme, only when served', async () => {
    const page = await app.request('/docs');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Prometheus metrics (operator token)');
    const doc = documentOf(service);
    expect(doc.paths['/metrics']?.get?.security).toEqual([{ metricsToken: [] }]);
    expect(doc.components.securitySchemes.metricsToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    const plain = serviceApp('serve');
    try {
      const without = documentOf(plain);
      expect(without.paths['/metrics']).toBeUndefined();
      expect(without.components.securitySchemes.metricsToken).toBeUndefined();
    } finally {
      plain.close();
    }
  });
});
