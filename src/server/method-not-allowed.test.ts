/**
 * A path the service has, asked with a method it does not take, answers 405 with `Allow` (read from
 * the routes as mounted), in serve and runtime modes alike; unknown paths stay 404 and CORS
 * preflights keep their answer.
 */
import { describe, expect, it } from 'vitest';
import { serviceApp } from '../../test/support/service-document.js';

const appOf = (mode: 'serve' | 'runtime') => serviceApp(mode).app;

describe('405 Method Not Allowed', () => {
  it('serve: GET /invoke is 405 with Allow: POST and a body in the API error shape', async () => {
    const res = await appOf('serve').request('/invoke');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(await res.json()).toEqual({ message: '/invoke does not take GET; it takes POST.', code: 'method_not_allowed', allow: ['POST'] });
  });

  it('serve: the methods come from every route on the path, parameters included', async () => {
    const app = appOf('serve');
    const files = await app.request('/sessions/3f2a9c1e-8d7b-4a6c-b5e4-d3c2b1a09f8e/files', { method: 'DELETE' });
    expect(files.status).toBe(405);
    expect(files.headers.get('allow')).toBe('GET, HEAD, POST');
    const cancel = await app.request('/sessions/abc/cancel');
    expect(cancel.headers.get('allow')).toBe('POST');
    expect((await app.request('/nothing/here')).status).toBe(404);
    expect(await (await app.request('/nothing/here')).json()).toMatchObject({ code: 'not_found' });
  });

  it('serve: a CORS preflight is still answered by CORS, not 405', async () => {
    const res = await appOf('serve').request('/invoke', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBeTruthy();
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('runtime: GET /invocations and POST /ping are 405 with their methods', async () => {
    const app = appOf('runtime');
    const invocations = await app.request('/invocations');
    expect(invocations.status).toBe(405);
    expect(invocations.headers.get('allow')).toBe('POST');
    const ping = await app.request('/ping', { method: 'POST' });
    expect(ping.status).toBe(405);
    expect(ping.headers.get('allow')).toBe('GET, HEAD');
    expect((await app.request('/invoke')).status).toBe(404); // not a route of the runtime
  });
});
