import { afterAll, describe, expect, it } from 'vitest';
import { serviceApp } from '../../test/support/service-document.js';

describe('GET /docs', () => {
  const { app, close } = serviceApp('serve');
  afterAll(close);

  it('answers the page under a strict policy: own script and style only, no framing, no referrer, no sniffing', async () => {
    const res = await app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html; charset=utf-8$/i);
    const policy = (res.headers.get('content-security-policy') ?? '').split('; ');
    for (const directive of [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ]) {
      expect(policy).toContain(directive);
    }
    expect(policy.join(' ')).not.toContain('unsafe');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const page = await res.text();
    expect(page).toContain('<script type="module" src="/assets/docs/main.js"></script>');
    expect(page).toContain('<details class="try" id="try-invoke"');
  });

  it('needs no key, and the document it renders needs none either', async () => {
    expect((await app.request('/openapi.json')).status).toBe(200);
  });
});
