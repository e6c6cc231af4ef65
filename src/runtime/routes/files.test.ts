import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filesRoutes } from './files.js';
import { LocalArtifactStore } from '../../artifacts/local-store.js';
import { UrlSigner } from '../../artifacts/signer.js';

const NOW_MS = Date.UTC(2024, 2, 9, 7, 5, 4);
const EXPIRES_IN = 600;
const signer = new UrlSigner(Buffer.from('files-routes-test-secret'));
const prefix = 'outputs/20240309_070504_0a1b2c3d';

let dir: string;
let root: string;
let store: LocalArtifactStore;
let clock: number;
let app: ReturnType<typeof filesRoutes>;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cca-files-'));
  root = join(dir, 'store');
  clock = NOW_MS;
  store = new LocalArtifactStore({ root, signer, expiresInSeconds: EXPIRES_IN, now: () => NOW_MS });
  app = filesRoutes(store, signer, { now: () => clock });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(key: string, data: Buffer | string): Promise<void> {
  await store.put(key, Readable.from([Buffer.from(data)]), { size: Buffer.byteLength(data), contentType: 'x' });
}

/** The request path and query of a link the store handed out, as a client would send it. */
function linkFor(key: string): string {
  const url = new URL(store.links(key, 'http://127.0.0.1:8080').download_url);
  return `${url.pathname}${url.search}`;
}

/** A correctly signed query for `key`, however the path itself is spelled. */
function signedQuery(key: string): string {
  const expires = NOW_MS / 1000 + EXPIRES_IN;
  return `?expires=${expires}&signature=${signer.sign(key, expires)}`;
}

describe('filesRoutes', () => {
  it('serves a good link with the exact bytes and download headers', async () => {
    const key = `${prefix}/out/r\u00e9sum\u00e9 (final).py`;
    const data = Buffer.concat([Buffer.from('print("\u00e9")\n'), randomBytes(100_000)]);
    await put(key, data);
    const res = await app.request(linkFor(key));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
    expect(res.headers.get('content-type')).toBe('text/x-python; charset=utf-8');
    expect(res.headers.get('content-length')).toBe(String(data.length));
    expect(res.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%20%28final%29.py");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('private, max-age=0');
  });

  it('answers HEAD with the headers and no body', async () => {
    await put(`${prefix}/a.json`, '{"a":1}');
    const res = await app.request(linkFor(`${prefix}/a.json`), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('7');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('');
  });

  it('refuses a bad or missing signature with 403 JSON that says to request a new link', async () => {
    const key = `${prefix}/a.txt`;
    await put(key, 'secret');
    const good = new URL(linkFor(key), 'http://x');
    const signature = good.searchParams.get('signature') ?? '';
    const expires = good.searchParams.get('expires') ?? '';
    const tampered = [
      `${good.pathname}?expires=${expires}&signature=${signature.replace(/^./, (c) => (c === '0' ? '1' : '0'))}`,
      `${good.pathname}?expires=${Number(expires) + 1}&signature=${signature}`,
      `${good.pathname}?expires=${expires}`,
      `${good.pathname}?signature=${signature}`,
      `${good.pathname}?expires=1e12&signature=${signature}`,
      good.pathname,
    ];
    for (const path of tampered) {
      const res = await app.request(path);
      expect(res.status, path).toBe(403);
      const body = (await res.json()) as { message: string; code: string };
      expect(body.code).toBe('forbidden');
      expect(body.message).toMatch(/invalid or has expired.*new link.*session/);
    }
  });

  it('refuses a link used for another key', async () => {
    await put(`${prefix}/a.txt`, 'a');
    await put(`${prefix}/b.txt`, 'b');
    const link = linkFor(`${prefix}/a.txt`).replace('/a.txt?', '/b.txt?');
    expect((await app.request(link)).status).toBe(403);
  });

  it('refuses an expired link with 403', async () => {
    const key = `${prefix}/a.txt`;
    await put(key, 'a');
    const link = linkFor(key);
    clock = NOW_MS + EXPIRES_IN * 1000;
    expect((await app.request(link)).status).toBe(200);
    clock = NOW_MS + (EXPIRES_IN + 1) * 1000;
    const res = await app.request(link);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('forbidden');
  });

  it('answers 404 JSON for a correctly signed key that is not stored', async () => {
    const res = await app.request(linkFor(`${prefix}/missing.txt`));
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('not_found');
  });

  it('never serves a path that traverses out of the store, however it is spelled', async () => {
    await mkdir(root, { recursive: true });
    await writeFile(join(dir, 'secret.txt'), 'top secret');
    await put(`${prefix}/a.txt`, 'a');
    // Each is signed for the key an attacker would want, so only path handling stands in the way.
    const attempts = [
      `/files/..${signedQuery('../secret.txt')}`,
      `/files/../secret.txt${signedQuery('../secret.txt')}`,
      `/files/%2e%2e/secret.txt${signedQuery('../secret.txt')}`,
      `/files/${prefix}/%2E%2E/%2E%2E/%2E%2E/secret.txt${signedQuery(`${prefix}/../../../secret.txt`)}`,
      `/files/..%2Fsecret.txt${signedQuery('../secret.txt')}`,
      `/files/outputs%2F..%2F..%2Fsecret.txt${signedQuery('outputs/../../secret.txt')}`,
      `/files/..%5Csecret.txt${signedQuery('..\\secret.txt')}`,
      `/files/${prefix}%2Fa.txt${signedQuery(`${prefix}/a.txt`)}`,
      `/files/%00${signedQuery('\0')}`,
      `/files/%E0%A4%A${signedQuery('x')}`,
      `/files/${signedQuery('')}`,
    ];
    for (const path of attempts) {
      const res = await app.request(path);
      expect([403, 404], path).toContain(res.status);
      expect(await res.text(), path).not.toContain('top secret');
    }
  });

  it('does not serve a symlink inside the store root that points outside it', async () => {
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'top secret');
    await put(`${prefix}/a.txt`, 'a');
    await symlink(join(outside, 'secret.txt'), join(root, prefix, 'link.txt'));
    await symlink(outside, join(root, prefix, 'dir'));
    for (const key of [`${prefix}/link.txt`, `${prefix}/dir/secret.txt`]) {
      const res = await app.request(linkFor(key));
      expect(res.status, key).toBe(404);
      expect(await res.text()).not.toContain('top secret');
    }
  });

  it('keeps its JSON errors when mounted in a bigger app', async () => {
    const main = new Hono();
    main.route('/', app);
    const res = await main.request(`/files/${prefix}/a.txt?expires=1&signature=00`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('forbidden');
  });
});
