import { describe, expect, it } from 'vitest';
import { serviceApp } from '../../test/support/service-document.js';

/** A serve or runtime app; only its routes are listed, so the parts behind them are never called. */
const appOf = (mode: 'serve' | 'runtime', metricsToken?: string) =>
  serviceApp(mode, (config) => ({ ...config, metrics: { ...config.metrics, token: metricsToken } })).app;

/** Pages and their files: served for browsers, not API routes, so not in the document. */
const PAGES = new Set(['GET /', 'GET /assets/:app/:file']);

/** The API routes Hono serves, as `METHOD /path` in the document's spelling. */
function served(app: ReturnType<typeof appOf>): string[] {
  const routes = app.routes
    .filter((r) => r.method !== 'ALL' && !PAGES.has(`${r.method} ${r.path}`))
    .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}').replace('/files/*', '/files/{key}')}`);
  return [...new Set(routes)].sort();
}

/** The operations the generated document lists. */
function documented(app: ReturnType<typeof appOf>): string[] {
  const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } });
  return Object.entries(doc.paths ?? {})
    .flatMap(([p, item]) => Object.keys(item ?? {}).map((method) => `${method.toUpperCase()} ${p}`))
    .sort();
}

describe('buildApp', () => {
  it('serve: every route it serves is declared in the document, and nothing else is', () => {
    const app = appOf('serve');
    expect(served(app)).toEqual(documented(app));
    expect(documented(app)).toEqual(
      [
        'GET /docs',
        'GET /files/{key}',
        'GET /health',
        'GET /openapi.json',
        'GET /ping',
        'GET /sessions',
        'GET /sessions/{session_id}',
        'GET /sessions/{session_id}/archive',
        'GET /sessions/{session_id}/events',
        'GET /sessions/{session_id}/files',
        'GET /sessions/{session_id}/webhooks',
        'GET /usage',
        'POST /invocations',
        'POST /invoke',
        'POST /sessions/{session_id}/cancel',
        'POST /sessions/{session_id}/files',
        'POST /sessions/{session_id}/permissions/{request_id}',
        'POST /sessions/{session_id}/webhooks/{webhook_id}/retry',
      ].sort(),
    );
  });

  it('serve: pages are served beside the API and kept out of its document', () => {
    const app = appOf('serve');
    const pages = app.routes.filter((r) => PAGES.has(`${r.method} ${r.path}`)).map((r) => `${r.method} ${r.path}`);
    expect([...new Set(pages)].sort()).toEqual([...PAGES].sort());
    expect(documented(app).some((r) => r === 'GET /' || r.startsWith('GET /assets'))).toBe(false);
  });

  it('runtime: the AgentCore contract and downloads only, all declared', () => {
    const app = appOf('runtime');
    expect(served(app)).toEqual(documented(app));
    expect(documented(app)).toEqual(['GET /files/{key}', 'GET /ping', 'POST /invocations']);
  });

  it('/metrics: declared and served on the main port only when the operator set a metrics token, in both modes', () => {
    for (const mode of ['serve', 'runtime'] as const) {
      const app = appOf(mode, 'operator-token-0123456789');
      expect(served(app)).toEqual(documented(app));
      expect(documented(app)).toContain('GET /metrics');
      expect(documented(appOf(mode))).not.toContain('GET /metrics');
    }
  });
});
