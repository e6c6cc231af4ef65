import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { serveConsole } from './console-page.js';
import type { WebAsset } from './assets.js';

const built = new Map<string, WebAsset>([['console/main.js', { body: new Uint8Array(), type: 'text/javascript', etag: '"x"' }]]);

function appWith(assets: Map<string, WebAsset>): Hono {
  const app = new Hono();
  serveConsole(app, assets);
  return app;
}

describe('the console page', () => {
  it('answers GET and HEAD / with the shell that loads the built files, under a strict policy', async () => {
    const app = appWith(built);
    const res = await app.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/assets/console/main.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/assets/console/main.css">');
    // Nothing inline for the policy to have to allow.
    expect(html).not.toMatch(/<script>|<style|\sstyle=|\son\w+=/);
    const csp = res.headers.get('content-security-policy')!;
    for (const part of [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ]) {
      expect(csp).toContain(part);
    }
    expect(csp).not.toMatch(/unsafe-|\*|https?:/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const head = await app.request('/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-security-policy')).toBe(csp);
    expect(await head.text()).toBe('');
  });

  it('says how to build the console when dist/assets/console is missing, still as HTML under the policy', async () => {
    const res = await appWith(new Map()).request('/');
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('npm run build');
    expect(html).not.toContain('/assets/console/main.js');
  });
});
