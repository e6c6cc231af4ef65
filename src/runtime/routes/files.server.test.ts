import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesRoutes } from './files.js';
import { LocalArtifactStore } from '../../artifacts/local-store.js';
import { UrlSigner } from '../../artifacts/signer.js';

// Through a real socket, paths arrive exactly as a client wrote them: no URL class on the
// client side has normalised "%2e%2e" or "\" away, so this is what the route really gets.

const signer = new UrlSigner(Buffer.from('server-test-secret'));
const prefix = 'outputs/20240309_070504_0a1b2c3d';

let dir: string;
let store: LocalArtifactStore;
let server: ServerType;
let port: number;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cca-files-server-'));
  store = new LocalArtifactStore({ root: join(dir, 'store'), signer, expiresInSeconds: 600 });
  await mkdir(join(dir, 'store'));
  await writeFile(join(dir, 'secret.txt'), 'top secret');
  const data = Buffer.from('hello over a socket\n');
  await store.put(`${prefix}/hello.txt`, Readable.from([data]), { size: data.length, contentType: 'text/plain' });
  await new Promise<void>((resolve) => {
    server = serve({ fetch: filesRoutes(store, signer).fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      port = info.port;
      resolve();
    });
  });
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/** GET with the path sent byte for byte as given. */
function get(path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function signedQuery(key: string): string {
  const expires = Math.floor(Date.now() / 1000) + 600;
  return `?expires=${expires}&signature=${signer.sign(key, expires)}`;
}

describe('filesRoutes on a real server', () => {
  it('streams a signed download', async () => {
    const url = new URL(store.links(`${prefix}/hello.txt`, `http://127.0.0.1:${port}`).download_url);
    const res = await get(`${url.pathname}${url.search}`);
    expect(res.status).toBe(200);
    expect(res.body).toBe('hello over a socket\n');
    expect(res.headers['content-length']).toBe('20');
    expect(res.headers['content-disposition']).toBe("attachment; filename*=UTF-8''hello.txt");
  });

  it.each([
    ['/files/../secret.txt', '../secret.txt'],
    ['/files/%2e%2e/secret.txt', '../secret.txt'],
    [`/files/${prefix}/..%2f..%2f..%2fsecret.txt`, `${prefix}/../../../secret.txt`],
    ['/files/..\\secret.txt', '../secret.txt'],
    ['/files/..%5csecret.txt', '..\\secret.txt'],
    ['/files/outputs/%2e%2e/%2e%2e/secret.txt', 'outputs/../../secret.txt'],
  ])('refuses %s', async (path, signedKey) => {
    const res = await get(`${path}${signedQuery(signedKey)}`);
    // 400: the Node adapter itself already rejects some spellings (a raw backslash).
    expect([400, 403, 404]).toContain(res.status);
    expect(res.body).not.toContain('top secret');
  });
});
