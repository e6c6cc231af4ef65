import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from './local-store.js';
import { UrlSigner } from './signer.js';
import type { ArtifactStore } from './store.js';
import { uploadFiles } from './upload.js';

const signer = new UrlSigner(Buffer.from('upload-test-secret'));
const opts = { prefix: 'outputs/20240309_070504_0a1b2c3d', baseUrl: 'http://127.0.0.1:8080' };

let dir: string;
let workspace: string;
let root: string;
let store: LocalArtifactStore;
let handles: FileHandle[];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cca-upload-'));
  workspace = join(dir, 'ws');
  root = join(dir, 'store');
  store = new LocalArtifactStore({ root, signer, expiresInSeconds: 600 });
  handles = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeWs(rel: string, data: Buffer | string): Promise<{ path: string; size: number }> {
  await mkdir(dirname(join(workspace, rel)), { recursive: true });
  await writeFile(join(workspace, rel), data);
  return { path: rel, size: Buffer.byteLength(data) };
}

const openWs = async (rel: string): Promise<FileHandle> => {
  const handle = await open(join(workspace, rel), 'r');
  handles.push(handle);
  return handle;
};

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describe('uploadFiles', () => {
  it('stores each file with its sha256, size, content type and links, in input order', async () => {
    const big = randomBytes(300_000);
    const files = [
      await writeWs('src/app.py', 'print("hi")\n'),
      await writeWs('data/big.bin', big),
      await writeWs('empty.txt', ''),
      await writeWs('README.md', '# hi\n'),
    ];
    const { uploaded, failed } = await uploadFiles(store, files, openWs, { ...opts, concurrency: 2 });
    expect(failed).toEqual([]);
    expect(uploaded.map((f) => f.file_name)).toEqual(['src/app.py', 'data/big.bin', 'empty.txt', 'README.md']);
    const [app, bin, empty] = uploaded;
    expect(app).toMatchObject({
      key: `${opts.prefix}/src/app.py`,
      size: 12,
      sha256: sha256('print("hi")\n'),
      content_type: 'text/x-python; charset=utf-8',
    });
    expect(app?.download_url).toMatch(
      /^http:\/\/127\.0\.0\.1:8080\/files\/outputs\/20240309_070504_0a1b2c3d\/src\/app\.py\?expires=\d+&signature=[0-9a-f]{64}$/,
    );
    expect(bin).toMatchObject({ size: big.length, sha256: sha256(big) });
    expect(empty).toMatchObject({ size: 0, sha256: sha256('') });
    expect((await readFile(join(root, opts.prefix, 'data/big.bin'))).equals(big)).toBe(true);
    expect(handles.every((h) => h.fd === -1)).toBe(true);
  });

  it('records "file changed while uploading" when the byte count differs, and stores nothing for it', async () => {
    const grown = await writeWs('grown.txt', 'now longer than announced');
    const shrunk = await writeWs('shrunk.txt', 'short');
    const fine = await writeWs('fine.txt', 'fine');
    const files = [{ ...grown, size: 4 }, { ...shrunk, size: 50 }, fine];
    const { uploaded, failed } = await uploadFiles(store, files, openWs, opts);
    expect(failed).toEqual([
      { file_name: 'grown.txt', error: 'file changed while uploading', key: `${opts.prefix}/grown.txt` },
      { file_name: 'shrunk.txt', error: 'file changed while uploading', key: `${opts.prefix}/shrunk.txt` },
    ]);
    expect(uploaded.map((f) => f.file_name)).toEqual(['fine.txt']);
    expect(await readdir(join(root, opts.prefix))).toEqual(['fine.txt']);
    expect(handles.every((h) => h.fd === -1)).toBe(true);
  });

  it('continues after open() throws for one file', async () => {
    const files = [await writeWs('a.txt', 'a'), { path: 'gone.txt', size: 3 }, await writeWs('b.txt', 'b')];
    const { uploaded, failed } = await uploadFiles(store, files, openWs, { ...opts, concurrency: 1 });
    expect(uploaded.map((f) => f.file_name)).toEqual(['a.txt', 'b.txt']);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.file_name).toBe('gone.txt');
    expect(failed[0]?.error).toMatch(/ENOENT/);
  });

  it('records unsafe paths without opening them', async () => {
    const opened: string[] = [];
    const { failed } = await uploadFiles(
      store,
      [{ path: '../escape.txt', size: 1 }],
      async (rel) => {
        opened.push(rel);
        return openWs(rel);
      },
      opts,
    );
    expect(failed[0]?.error).toMatch(/Refusing to store/);
    expect(opened).toEqual([]);
  });

  it('records a store failure, closes the handle and never throws', async () => {
    const broken: ArtifactStore = {
      kind: 's3',
      put: async () => {
        throw new Error('bucket unreachable');
      },
      links: () => {
        throw new Error('unreachable');
      },
      delete: async () => {},
    };
    const files = [await writeWs('a.txt', 'a'), await writeWs('b.txt', 'b')];
    const result = await uploadFiles(broken, files, openWs, opts);
    expect(result.uploaded).toEqual([]);
    expect(result.failed).toEqual([
      { file_name: 'a.txt', error: 'bucket unreachable', key: `${opts.prefix}/a.txt` },
      { file_name: 'b.txt', error: 'bucket unreachable', key: `${opts.prefix}/b.txt` },
    ]);
    expect(handles.every((h) => h.fd === -1)).toBe(true);
  });

  it('keeps at most `concurrency` uploads in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const slow: ArtifactStore = {
      kind: 's3',
      put: async (_key: string, body: Readable) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        for await (const _chunk of body) await new Promise((r) => setTimeout(r, 5));
        await new Promise((r) => setTimeout(r, 10));
        inFlight -= 1;
      },
      links: () => ({ s3_url: 's3://b/k', console_url: 'c', download_url: 'd', expires_at: 'e' }),
      delete: async () => {},
    };
    const files = await Promise.all(Array.from({ length: 9 }, (_, i) => writeWs(`f${i}.txt`, `file ${i}`)));
    const { uploaded } = await uploadFiles(slow, files, openWs, { ...opts, concurrency: 3 });
    expect(uploaded.map((f) => f.file_name)).toEqual(files.map((f) => f.path));
    expect(peak).toBe(3);
  });

  it('still uploads everything with a nonsensical concurrency', async () => {
    const files = [await writeWs('a.txt', 'a'), await writeWs('b.txt', 'b')];
    for (const concurrency of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const { uploaded } = await uploadFiles(store, files, openWs, { ...opts, concurrency });
      expect(
        uploaded.map((f) => f.file_name),
        String(concurrency),
      ).toEqual(['a.txt', 'b.txt']);
    }
  });

  it('returns empty lists for no files', async () => {
    expect(await uploadFiles(store, [], openWs, opts)).toEqual({ uploaded: [], failed: [] });
  });
});
