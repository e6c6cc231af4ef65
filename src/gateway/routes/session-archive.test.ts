import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { MiddlewareHandler } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { unzipText } from '../../../test/support/archives.js';
import { KeyRepo } from '../../keys/index.js';
import { LocalArtifactStore, UrlSigner } from '../../artifacts/index.js';
import { toErrorResponse } from '../../errors/index.js';
import { routeGroup } from '../../http/index.js';
import type { CallerEnv } from '../../runtime/index.js';
import type { UploadedFile } from '../../schemas/index.js';
import { SessionRepo } from '../../sessions/index.js';
import { openDatabase, type Db } from '../../store/index.js';
import { archiveEntryName, contentDisposition } from './archive-names.js';
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

async function setup(limits?: { files: number; bytes: number }) {
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
    const { status, body } = toErrorResponse(err);
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  });
  serveSessionArchive(app, { sessions, store: local, local, auth, ...(limits ? { limits } : {}) });
  /** Stores `files` as one invocation of `sessionId` would: in the store and in the file index. */
  const store = async (sessionId: string, invocationId: string, files: Record<string, string>) => {
    sessions.startInvocation({ sessionId, invocationId, startedAt: new Date(), prompt: 'p', request: {}, ownerKeyId: ids.a });
    const entries: UploadedFile[] = [];
    for (const [name, text] of Object.entries(files)) {
      const key = `outputs/20260101_000000_${invocationId}/${encodeURIComponent(name)}`;
      await local.put(key, Readable.from([Buffer.from(text)]), { size: Buffer.byteLength(text), contentType: 'text/plain' });
      entries.push({
        file_name: name,
        key,
        size: Buffer.byteLength(text),
        sha256: 'x',
        content_type: 'text/plain',
        s3_url: 'f',
        console_url: 'c',
        download_url: 'd',
        expires_at: '2026-01-01T00:00:00Z',
      });
    }
    await sessions.files.record(sessionId, invocationId, { uploaded: entries, skipped: [], failed: [] });
  };
  return { app, sessions, store, ids };
}

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

  it('leaves out a file the retention sweep already deleted', async () => {
    const { app, sessions, store } = await setup();
    await store('s1', 'i1', { 'kept.txt': 'k' });
    sessions.startInvocation({ sessionId: 's1', invocationId: 'i0', startedAt: new Date(), prompt: 'p', request: {} });
    await sessions.files.record('s1', 'i0', {
      uploaded: [
        {
          file_name: 'gone.txt',
          key: 'outputs/20250101_000000_i0/gone.txt',
          size: 4,
          sha256: 'x',
          content_type: 'text/plain',
          s3_url: 'f',
          console_url: 'c',
          download_url: 'd',
          expires_at: '2026-01-01T00:00:00Z',
        },
      ],
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
  });

  it('escape the download name: ASCII fallback without quotes or backslashes, the exact name in RFC 5987 form', () => {
    expect(contentDisposition('s1.zip')).toBe(`attachment; filename="s1.zip"; filename*=UTF-8''s1.zip`);
    expect(contentDisposition('a "b"\\\r\né(1)*.zip')).toBe(
      `attachment; filename="a _b_____(1)*.zip"; filename*=UTF-8''a%20%22b%22%5C%0D%0A%C3%A9%281%29%2A.zip`,
    );
  });
});
