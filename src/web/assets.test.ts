import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { loadWebAssets, serveWebAssets } from './assets.js';

function builtDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-web-'));
  fs.mkdirSync(path.join(dir, 'console'));
  fs.writeFileSync(path.join(dir, 'console', 'main.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dir, 'console', 'notes.txt'), 'not served');
  return dir;
}

describe('web assets', () => {
  it('serves built files with their type, nosniff and an ETag, and answers a matching If-None-Match with 304', async () => {
    const app = new Hono();
    serveWebAssets(app, loadWebAssets(builtDir()));
    const res = await app.request('/assets/console/main.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe('console.log(1)');
    const again = await app.request('/assets/console/main.js', { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('serves nothing the build did not make: unknown types, other names and traversal fall through to 404', async () => {
    const app = new Hono();
    serveWebAssets(app, loadWebAssets(builtDir()));
    for (const p of ['/assets/console/notes.txt', '/assets/console/other.js', '/assets/console/..%2Fmain.js', '/assets/../package.json']) {
      expect((await app.request(p)).status, p).toBe(404);
    }
  });

  it('gives an empty map for a checkout that was never built', () => {
    expect(loadWebAssets(path.join(os.tmpdir(), 'cca-no-such-dir')).size).toBe(0);
  });
});
