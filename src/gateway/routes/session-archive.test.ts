import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { serve } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ZipFile } from 'yazl';
import { unzipText } from '../../../test/support/archives.js';
import { startS3Server } from '../../../test/support/s3-server.js';
import { KeyRepo } from '../../keys/index.js';
import { LocalArtifactStore, S3ArtifactStore, UrlSigner, type ArtifactStore } from '../../artifacts/index.js';
import { toErrorResponse } from '../../errors/index.js';
import { routeGroup } from '../../http/index.js';
import type { CallerEnv } from '../../runtime/index.js';
import type { UploadedFile } from '../../schemas/index.js';
import { SessionRepo } from '../../sessions/index.js';
import { openDatabase, type Db } from '../../store/index.js';
import { archiveEntryName, contentDisposition, MAX_ENTRY_NAME_BYTES, uniqueEntryNames } from './archive-names.js';
import { zipStream } from './archive-stream.js';
import { serveSessionArchive } from './session-archive.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0).reverse()) await undo();
});

/** `x-api-key: a` is key a (its id in `ids`); no header, the real middleware's 403. */
const authOf =
  (ids: Record<string, string>): MiddlewareHandler<CallerEnv> =>
  async (c, next) => {
    const key = ids[c.req.header('x-api-key') ?? ''];
    if (key === undefined) return c.json({ message: 'Forbidden' }, 403);
    c.set('caller', { keyId: key } as never);
    await next();
  };

/**
 * The route over a local store, or over `s3` (a store read back through `readable`) when given;
 * `store()` puts files in whichever it serves and in the file index.
 */
async function setup(limits?: { files: number; bytes: number }, s3?: ArtifactStore, archive?: { maxPerKey?: number; idleMs?: number }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-archive-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const db: Db = openDatabase(path.join(dir, 'data'));
  cleanup.push(() => void db.close());
  const sessions = new SessionRepo(db);
  const keys = new KeyRepo(db);
  const ids = { a: keys.create('a').record.id, b: keys.create('b').record.id };
  const auth = authOf(ids);
  const local = new LocalArtifactStore({ root: path.join(dir, 'store'), signer: new UrlSigner(Buffer.from('s')), expiresInSeconds: 60 });
  const app = routeGroup<CallerEnv>();
  app.onError((err) => {
    const { status, body, headers } = toErrorResponse(err);
    return new Response(JSON.stringify(body), { status, headers: { ...headers, 'content-type': 'application/json' } });
  });
  const served = s3 ?? local;
  serveSessionArchive(app, {
    sessions,
    store: served,
    ...(s3 ? {} : { local }),
    auth,
    ...(limits ? { limits } : {}),
    ...(archive ? { archive } : {}),
  });
  /** Stores `files` as one invocation of `sessionId` would: in the store and in the file index. */
  const store = async (sessionId: string, invocationId: string, files: Record<string, string>, owner = ids.a) => {
    sessions.startInvocation({ sessionId, invocationId, startedAt: new Date(), prompt: 'p', request: {}, ownerKeyId: owner });
    const entries: UploadedFile[] = [];
    for (const [name, text] of Object.entries(files)) {
      const key = `outputs/20260101_000000_${invocationId}/${encodeURIComponent(name)}`;
      await served.put(key, Readable.from([Buffer.from(text)]), { size: Buffer.byteLength(text), contentType: 'text/plain' });
      entries.push(entryOf(name, key, Buffer.byteLength(text)));
    }
    await sessions.files.record(sessionId, invocationId, { uploaded: entries, skipped: [], failed: [] });
  };
  /** Where the local store keeps a stored file. */
  const pathOf = (invocationId: string, name: string) =>
    path.join(dir, 'store', 'outputs', `20260101_000000_${invocationId}`, encodeURIComponent(name));
  return { app, sessions, store, ids, pathOf };
}

/** Serves `app` on real HTTP at 127.0.0.1 (the route's abort signal comes from the connection there). */
async function listen(app: { fetch: (req: Request) => Response | Promise<Response> }): Promise<number> {
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as http.Server).closeAllConnections();
      }),
  );
  return (server.address() as { port: number }).port;
}

/** Descriptors this process holds on `file`. */
const openOn = (file: string) =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false; // closed since the listing
    }
  }).length;

/** A random text of about `bytes` bytes (base64: deflate cannot shrink it much, so it never fits a buffer). */
const bigText = (bytes: number) => randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64');

describe('GET /sessions/{session_id}/archive', () => {
  it('zips every stored file at its path, the latest version of a path stored twice, named after the session', async () => {
    const { app, sessions, store } = await setup();
    await store('s1', 'i1', { 'app/main.py': 'print(1)\n', 'README.md': 'first' });
    await store('s1', 'i2', { 'README.md': 'second', 'résumé "final".txt': 'ok' });
    const res = await app.request('/sessions/s1/archive', { headers: { 'x-api-key': 'a' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="s1.zip"; filename*=UTF-8''s1.zip`);
    expect(await unzipText(await res.arrayBuffer())).toEqual({
      'README.md': 'second',
      'app/main.py': 'print(1)\n',
      'résumé "final".txt': 'ok',
    });
  });

  it("is another key's session: 404, as every session route; no key: 403", async () => {
    const { app, sessions, store } = await setup();
    await store('s1', 'i1', { 'secret.txt': 'mine' });
    const res = await app.request('/sessions/s1/archive', { headers: { 'x-api-key': 'b' } });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ message: 'Session s1 was not found.', code: 'not_found' });
    expect((await app.request('/sessions/s1/archive')).status).toBe(403);
    expect((await app.request('/sessions/nope/archive', { headers: { 'x-api-key': 'a' } })).status).toBe(404);
  });

  it('gives an empty zip for a session with no stored files', async () => {
    const { app, sessions, ids } = await setup();
    sessions.createSession('empty', ids.a);
    const res = await app.request('/sessions/empty/archive', { headers: { 'x-api-key': 'a' } });
    expect(res.status).toBe(200);
    expect(await unzipText(await res.arrayBuffer())).toEqual({});
  });

  it('answers 413 past its limits, before any byte, with how to download the files one by one', async () => {
    const { app, sessions, store } = await setup({ files: 2, bytes: 10 });
    await store('many', 'i1', { a: '1', b: '2', c: '3' });
    await store('big', 'i2', { a: '0123456789ab' });
    for (const id of ['many', 'big']) {
      const res = await app.request(`/sessions/${id}/archive`, { headers: { 'x-api-key': 'a' } });
      expect(res.status).toBe(413);
      const body = (await res.json()) as { message: string; code: string };
      expect(body.code).toBe('payload_too_large');
      expect(body.message).toContain(`GET /sessions/${id}/files lists them`);
    }
  });

  const backends: [string, () => Promise<ArtifactStore | undefined>][] = [
    ['on disk', async () => undefined],
    ['over real S3', realS3],
  ];
  it.each(backends)('leaves out a file the retention sweep already deleted (%s)', async (_where, backend) => {
    const { app, sessions, store } = await setup(undefined, await backend());
    await store('s1', 'i1', { 'kept.txt': 'k' });
    sessions.startInvocation({ sessionId: 's1', invocationId: 'i0', startedAt: new Date(), prompt: 'p', request: {} });
    await sessions.files.record('s1', 'i0', {
      uploaded: [entryOf('gone.txt', 'outputs/20250101_000000_i0/gone.txt', 4)],
      skipped: [],
      failed: [],
    });
    const res = await app.request('/sessions/s1/archive', { headers: { 'x-api-key': 'a' } });
    expect(await unzipText(await res.arrayBuffer())).toEqual({ 'kept.txt': 'k' });
  });
});

describe('archive names', () => {
  it('keep every entry inside the zip, whatever the run named its files', () => {
    expect(archiveEntryName('app/main.py')).toBe('app/main.py');
    expect(archiveEntryName('../etc/passwd')).toBe('_/etc/passwd');
    expect(archiveEntryName('/abs//x/./y')).toBe('abs/x/_/y');
    expect(archiveEntryName('a\\..\\b')).toBe('a_.._b');
    expect(archiveEntryName('')).toBe('_');
    expect(archiveEntryName('c:notes.txt')).toBe('c_notes.txt');
    expect(archiveEntryName('C:\\Windows\\x')).toBe('C__Windows_x');
    expect(archiveEntryName('/d:/x')).toBe('d_/x');
    expect(archiveEntryName('dir/c:x')).toBe('dir/c_x');
  });

  it('are safe to unzip on Windows: no `:`, control character, trailing dot or space, or device name', () => {
    expect(archiveEntryName('a/b:c/d:e.txt')).toBe('a/b_c/d_e.txt');
    expect(archiveEntryName('nul\u0000byte\ttab\u001f\u007f.txt')).toBe('nul_byte_tab__.txt');
    expect(archiveEntryName('dir./name. /x ')).toBe('dir_/name__/x_');
    for (const reserved of ['CON', 'prn', 'Aux', 'NUL', 'COM1', 'com9', 'LPT1', 'lpt9', 'con.txt', 'NUL.tar.gz', 'com3.log'])
      expect(archiveEntryName(`d/${reserved}`)).toBe(`d/_${reserved}`);
    expect(archiveEntryName('CON/x.txt')).toBe('_CON/x.txt');
    for (const kept of ['console.txt', 'COM10', 'LPT0', 'nulls', 'aux-x.txt', '.env']) expect(archiveEntryName(kept)).toBe(kept);
    // A name rewritten so still meets no other.
    expect(Object.fromEntries(uniqueEntryNames(['_nul.txt', 'nul.txt']))).toEqual({ '_nul.txt': '_nul.txt', 'nul.txt': '_nul (2).txt' });
  });

  it('never meet once unzipped on a case-insensitive or normalising file system, or as a file and a folder', () => {
    expect(Object.fromEntries(uniqueEntryNames(['README.md', 'readme.md', 'Readme.MD']))).toEqual({
      'README.md': 'README.md',
      'readme.md': 'readme (2).md',
      'Readme.MD': 'Readme (3).MD',
    });
    const nfc = 'caf\u00e9.txt';
    const nfd = 'cafe\u0301.txt';
    expect(Object.fromEntries(uniqueEntryNames([nfc, nfd]))).toEqual({ [nfc]: nfc, [nfd]: 'cafe\u0301 (2).txt' });
    // A file, then a path that needs it as a folder: the folder part is numbered.
    expect(Object.fromEntries(uniqueEntryNames(['out', 'out/x.txt', 'OUT/y.txt', 'out/sub/z']))).toEqual({
      out: 'out',
      'out/x.txt': 'out (2)/x.txt',
      'OUT/y.txt': 'OUT (2)/y.txt',
      'out/sub/z': 'out (2)/sub/z',
    });
    // A folder first, then a file of that name: the file is numbered.
    expect(Object.fromEntries(uniqueEntryNames(['out/x.txt', 'Out']))).toEqual({ 'out/x.txt': 'out/x.txt', Out: 'Out (2)' });
    // a\b is rewritten to a_b, which a_b/c needs as a folder.
    expect(Object.fromEntries(uniqueEntryNames(['a\\b', 'a_b/c']))).toEqual({ 'a\\b': 'a_b (2)', 'a_b/c': 'a_b/c' });
    // A numbered folder that is a file too takes the next number.
    expect(Object.fromEntries(uniqueEntryNames(['out', 'out (2)', 'out/x']))).toEqual({
      out: 'out',
      'out (2)': 'out (2)',
      'out/x': 'out (3)/x',
    });
  });

  it('are all names yazl accepts (its validateMetadataPath and length checks), however hostile the file name', () => {
    const hostile = [
      '',
      '/',
      '//',
      '.',
      '..',
      '../..',
      'a/',
      'a/..',
      '\\',
      'c:',
      'Z:x',
      'c:\\x',
      '/c:/x',
      ':x',
      'é'.repeat(40_000),
      'a/'.repeat(40_000),
    ];
    for (const name of hostile) {
      const entry = archiveEntryName(name);
      expect(Buffer.byteLength(entry)).toBeLessThanOrEqual(MAX_ENTRY_NAME_BYTES);
      expect(() => new ZipFile().addBuffer(Buffer.from('x'), entry)).not.toThrow();
      expect(() => new ZipFile().addBuffer(Buffer.from('x'), uniqueEntryNames([name, entry]).get(name)!)).not.toThrow();
    }
  });

  it('are all different: a rewritten name that meets another gets a number, a name kept as it was keeps it', () => {
    expect(uniqueEntryNames(['a\\b.txt', 'a_b.txt'])).toEqual(
      new Map([
        ['a\\b.txt', 'a_b (2).txt'],
        ['a_b.txt', 'a_b.txt'],
      ]),
    );
    const names = ['x/../y', 'x/_/y', 'x\\_\\y', 'x/_/y (2)', '.env', './.env', '_/.env', 'dir/', 'dir'];
    expect(Object.fromEntries(uniqueEntryNames(names))).toEqual({
      'x/../y': 'x/_/y (3)',
      'x/_/y': 'x/_/y',
      'x\\_\\y': 'x___y',
      'x/_/y (2)': 'x/_/y (2)',
      '.env': '.env',
      './.env': '_/.env (2)',
      '_/.env': '_/.env',
      'dir/': 'dir (2)',
      dir: 'dir',
    });
  });

  it('never fail the archive: a name yazl refuses is stored under a plain one', async () => {
    const entry = (name: string, text: string) => ({
      name,
      open: async () => ({ size: text.length, stream: Readable.from([Buffer.from(text)]) }),
    });
    const body = await zipStream([entry('c:raw', 'x'), entry('ok.txt', 'y')], new AbortController().signal).toArray();
    expect(await unzipText(Buffer.concat(body))).toEqual({ 'unnamed-1': 'x', 'ok.txt': 'y' });
  });

  it('escape the download name: ASCII fallback without quotes or backslashes, the exact name in RFC 5987 form', () => {
    expect(contentDisposition('s1.zip')).toBe(`attachment; filename="s1.zip"; filename*=UTF-8''s1.zip`);
    expect(contentDisposition('a "b"\\\r\né(1)*.zip')).toBe(
      `attachment; filename="a _b_____(1)*.zip"; filename*=UTF-8''a%20%22b%22%5C%0D%0A%C3%A9%281%29%2A.zip`,
    );
  });
});

/** A file index entry for `name` under `key` (stored or not). */
const entryOf = (name: string, key: string, size: number): UploadedFile => ({
  file_name: name,
  key,
  size,
  sha256: 'x',
  content_type: 'text/plain',
  s3_url: 'f',
  console_url: 'c',
  download_url: 'd',
  expires_at: '2026-01-01T00:00:00Z',
});

/** A store read back like S3 whose every object is `body()`; `reads` counts the objects opened. */
function fakeS3(body: () => Readable) {
  const counts = { reads: 0 };
  const store = {
    kind: 's3',
    put: async (_key: string, stream: Readable) => void (await stream.toArray()),
    links: () => ({ s3_url: 'f', console_url: 'c', download_url: 'd', expires_at: '2026-01-01T00:00:00Z' }),
    delete: async () => {},
    readable: {
      list: async function* () {},
      get: async () => {
        counts.reads++;
        return body();
      },
    },
  } as unknown as ArtifactStore;
  return { store, counts };
}

/**
 * A store on a real S3 server (s3rver) reached through a TCP proxy that passes everything but cuts
 * (RST) a connection once S3 sent 1 MiB on it: a GetObject body past that is cut mid-way.
 */
async function realS3(): Promise<S3ArtifactStore> {
  const s3 = await startS3Server();
  cleanup.push(() => s3.close());
  const proxy = net.createServer((client) => {
    const upstream = net.connect(s3.port, '127.0.0.1');
    client.pipe(upstream);
    let received = 0;
    upstream.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received <= 1024 * 1024) return void client.write(chunk);
      upstream.destroy();
      client.resetAndDestroy();
    });
    upstream.on('end', () => client.end());
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
  const client = s3.client({ endpoint: `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}` });
  cleanup.push(() => client.destroy());
  return new S3ArtifactStore({ client, bucket: s3.bucket, prefix: '', expiresInSeconds: 600, region: 'us-east-1' });
}

describe('GET /sessions/{session_id}/archive when a file fails or the reader goes away', () => {
  it('leaves out a file the retention sweep deletes while the archive streams, and keeps serving', async () => {
    const { app, store, pathOf } = await setup();
    const big = bigText(4 * 1024 * 1024);
    await store('s1', 'i1', { 'a-big.txt': big, 'b-small.txt': 'small' });
    const res = await app.request('/sessions/s1/archive', { headers: { 'x-api-key': 'a' } });
    expect(res.status).toBe(200);
    // Nothing read yet, so the first file is still streaming: the sweep removes the second.
    await unlink(pathOf('i1', 'b-small.txt'));
    expect(await unzipText(await res.arrayBuffer())).toEqual({ 'a-big.txt': big });
    const again = await app.request('/sessions/s1/archive', { headers: { 'x-api-key': 'a' } });
    expect(await unzipText(await again.arrayBuffer())).toEqual({ 'a-big.txt': big });
  });

  it('cuts the download when a stored file fails mid-read (an S3 body that errors), and keeps serving', async () => {
    const { store: failing } = fakeS3(
      () =>
        new Readable({
          read() {
            this.push(Buffer.alloc(1000, 'x'));
            this.destroy(new Error('ECONNRESET from S3 mid-body'));
          },
        }),
    );
    const { app, store } = await setup(undefined, failing);
    await store('s1', 'i1', { 'a.txt': 'a', 'b.txt': 'b' });
    const res = await app.request('/sessions/s1/archive', { headers: { 'x-api-key': 'a' } });
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow('ECONNRESET from S3 mid-body');
    const again = await app.request('/sessions/s1/archive', { headers: { 'x-api-key': 'a' } });
    await expect(again.arrayBuffer()).rejects.toThrow('ECONNRESET from S3 mid-body');
  });

  it('over real S3: a connection cut mid-body ends the download with an error, and the service keeps serving', async () => {
    const { app, store } = await setup(undefined, await realS3());
    await store('s1', 'i1', { 'big.txt': bigText(4 * 1024 * 1024), 'small.txt': 's' });
    const cut = await app.request('/sessions/s1/archive', { headers: { 'x-api-key': 'a' } });
    expect(cut.status).toBe(200);
    // Node's error for a response cut mid-body reaches the reader of the zip.
    await expect(cut.arrayBuffer()).rejects.toMatchObject({ code: 'ECONNRESET' });
    await store('s2', 'i2', { 'small.txt': 's' });
    const res = await app.request('/sessions/s2/archive', { headers: { 'x-api-key': 'a' } });
    expect(await unzipText(await res.arrayBuffer())).toEqual({ 'small.txt': 's' });
  }, 30_000);

  it('answers HEAD with the headers alone: no file opened, no zip built', async () => {
    const { store: s3, counts } = fakeS3(() => Readable.from([Buffer.from('x')]));
    const { app, store } = await setup(undefined, s3);
    await store('s1', 'i1', { 'a.txt': 'x' });
    const res = await app.request('/sessions/s1/archive', { method: 'HEAD', headers: { 'x-api-key': 'a' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="s1.zip"; filename*=UTF-8''s1.zip`);
    expect(counts.reads).toBe(0);
    expect((await app.request('/sessions/s1/archive', { method: 'HEAD', headers: { 'x-api-key': 'b' } })).status).toBe(404);
  });

  it('closes the stored file when the client goes away mid-download, and HEAD never opens it', async () => {
    const { app, store, pathOf } = await setup();
    const big = bigText(8 * 1024 * 1024);
    await store('s1', 'i1', { 'big.txt': big });
    const port = await listen(app);
    const file = pathOf('i1', 'big.txt');
    const request = (method: 'GET' | 'HEAD') =>
      new Promise<void>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port, path: '/sessions/s1/archive', method, headers: { 'x-api-key': 'a' } },
          (res) => {
            expect(res.statusCode).toBe(200);
            if (method === 'HEAD') return void res.resume().on('end', resolve);
            // The first bytes of the zip, then the client leaves.
            res.once('data', () => {
              req.destroy();
              resolve();
            });
          },
        );
        req.on('error', reject);
        req.end();
      });
    for (let i = 0; i < 4; i++) {
      await request('HEAD');
      await request('GET');
    }
    // A whole download after them: the archive still works, and its own descriptor is closed at its end.
    const whole = await fetch(`http://127.0.0.1:${port}/sessions/s1/archive`, { headers: { 'x-api-key': 'a' } });
    expect(await unzipText(await whole.arrayBuffer())).toEqual({ 'big.txt': big });
    await vi.waitFor(() => expect(openOn(file)).toBe(0), { timeout: 10_000, interval: 50 });
  }, 30_000);
});

describe('GET /sessions/{session_id}/archive held by a slow or greedy client', () => {
  it('cuts a client that stops reading after the idle time, closing the stored file', async () => {
    const { app, store, pathOf } = await setup(undefined, undefined, { idleMs: 300 });
    await store('s1', 'i1', { 'big.txt': bigText(24 * 1024 * 1024) });
    const port = await listen(app);
    const file = pathOf('i1', 'big.txt');
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/sessions/s1/archive', headers: { 'x-api-key': 'a' } }, (res) => {
        // The first bytes, then the client stays connected and reads nothing more.
        res.once('data', () => {
          res.pause();
          resolve(res);
        });
      });
      req.on('error', reject);
      req.end();
    });
    expect(res.statusCode).toBe(200);
    expect(openOn(file)).toBe(1);
    await vi.waitFor(() => expect(openOn(file)).toBe(0), { timeout: 20_000, interval: 50 });
    // Reading again, the client finds the download cut, not ended as if whole.
    const ended = new Promise<boolean>((resolve) => res.on('close', () => resolve(res.complete)));
    res.on('error', () => {});
    res.resume();
    expect(await ended).toBe(false);
  }, 60_000);

  it('lets a key download two archives at once: a third is 429 until one ends, fails or is aborted', async () => {
    const { app, store, ids } = await setup(undefined, undefined, { maxPerKey: 2 });
    const big = bigText(4 * 1024 * 1024);
    await store('s1', 'i1', { 'big.txt': big });
    await store('sb', 'ib', { 'b.txt': 'b' }, ids.b);
    const get = (id: string, key = 'a') => app.request(`/sessions/${id}/archive`, { headers: { 'x-api-key': key } });
    const first = await get('s1');
    const second = await get('s1');
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await get('s1');
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('10');
    const body = (await third.json()) as { message: string; code: string };
    expect(body.code).toBe('archives_busy');
    expect(body.message).toContain('already downloads 2 session archives at once');
    expect(body.message).toContain('Wait for one of them to finish');
    // Another key is not held back by this one; HEAD takes no place.
    const other = await get('sb', 'b');
    expect(other.status).toBe(200);
    expect(await unzipText(await other.arrayBuffer())).toEqual({ 'b.txt': 'b' });
    expect((await app.request('/sessions/s1/archive', { method: 'HEAD', headers: { 'x-api-key': 'a' } })).status).toBe(200);
    // Ends: the first read to its end frees its place.
    expect(await unzipText(await first.arrayBuffer())).toEqual({ 'big.txt': big });
    // (freed when the stream closes, just after its last byte)
    let fourth = third;
    await vi.waitFor(async () => {
      fourth = await get('s1');
      expect(fourth.status).toBe(200);
    });
    expect((await get('s1')).status).toBe(429);
    // Aborted: a body the client drops frees its place.
    await second.body!.cancel();
    await vi.waitFor(async () => {
      const res = await get('s1');
      expect(res.status).toBe(200);
      await res.body!.cancel();
    });
    await fourth.body!.cancel();
  }, 60_000);

  it('frees the place of an archive whose stored file fails mid-read', async () => {
    const { store: failing } = fakeS3(
      () =>
        new Readable({
          read() {
            this.destroy(new Error('ECONNRESET from S3'));
          },
        }),
    );
    const { app, store } = await setup(undefined, failing, { maxPerKey: 1 });
    await store('s1', 'i1', { 'a.txt': 'a' });
    for (let i = 0; i < 3; i++) {
      const res = await app.request('/sessions/s1/archive', { headers: { 'x-api-key': 'a' } });
      expect(res.status).toBe(200);
      await expect(res.arrayBuffer()).rejects.toThrow('ECONNRESET from S3');
    }
  });
});

describe('GET /sessions/{session_id}/archive with odd names', () => {
  it('zips a file named like a drive (c:notes.txt) instead of failing the archive', async () => {
    const { app, store } = await setup();
    await store('s1', 'i1', { 'c:notes.txt': 'x', 'ok.txt': 'y' });
    const res = await app.request('/sessions/s1/archive', { headers: { 'x-api-key': 'a' } });
    expect(res.status).toBe(200);
    expect(await unzipText(await res.arrayBuffer())).toEqual({ 'c_notes.txt': 'x', 'ok.txt': 'y' });
  });

  it('keeps every file whose name meets another once unzipped: case, Unicode form, file and folder', async () => {
    const { app, store } = await setup();
    const nfc = 'caf\u00e9.txt';
    const nfd = 'cafe\u0301.txt';
    await store('s1', 'i1', {
      'README.md': '1',
      'readme.md': '2',
      [nfc]: '3',
      [nfd]: '4',
      out: '5',
      'out/x.txt': '6',
      'a\\b': '7',
      'a_b/c': '8',
      'lpt1.txt': '9',
    });
    const res = await app.request('/sessions/s1/archive', { headers: { 'x-api-key': 'a' } });
    const files = await unzipText(await res.arrayBuffer());
    expect(files).toEqual({
      'README.md': '1',
      'readme (2).md': '2',
      // Path order: the NFD name sorts first and keeps its name.
      [nfd]: '4',
      'caf\u00e9 (2).txt': '3',
      out: '5',
      'out (2)/x.txt': '6',
      'a_b (2)': '7',
      'a_b/c': '8',
      '_lpt1.txt': '9',
    });
    const folded = Object.keys(files).map((n) => n.normalize('NFC').toLowerCase());
    expect(new Set(folded).size).toBe(9);
  });

  it('keeps both files whose names meet once made safe (a\\b.txt and a_b.txt)', async () => {
    const { app, store } = await setup();
    await store('s1', 'i1', { 'a\\b.txt': 'backslash', 'a_b.txt': 'underscore' });
    const res = await app.request('/sessions/s1/archive', { headers: { 'x-api-key': 'a' } });
    expect(await unzipText(await res.arrayBuffer())).toEqual({ 'a_b.txt': 'underscore', 'a_b (2).txt': 'backslash' });
  });
});
