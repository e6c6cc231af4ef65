import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from './local-store.js';
import { UrlSigner } from './signer.js';

const NOW_MS = Date.UTC(2024, 2, 9, 7, 5, 4);
const signer = new UrlSigner(Buffer.from('local-store-test-secret'));

let dir: string;
let root: string;
let store: LocalArtifactStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cca-store-'));
  root = join(dir, 'artifacts');
  store = new LocalArtifactStore({ root, signer, expiresInSeconds: 3600, now: () => NOW_MS });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every file name under `path`, recursively, relative to it. */
async function tree(path: string): Promise<string[]> {
  return (await readdir(path, { recursive: true, withFileTypes: true }))
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(path.length + 1))
    .sort();
}

const put = (key: string, data: Buffer | string) =>
  store.put(key, Readable.from([Buffer.from(data)]), { size: Buffer.byteLength(data), contentType: 'text/plain' });

describe('LocalArtifactStore.put', () => {
  it('writes files 0600 in folders 0700, whatever the umask', async () => {
    const umask = process.umask(0o022);
    try {
      await put('outputs/p/deep/app.py', 'x');
    } finally {
      process.umask(umask);
    }
    expect((await stat(join(root, 'outputs/p/deep/app.py'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(root, 'outputs/p/deep'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(root, 'outputs/p'))).mode & 0o777).toBe(0o700);
  });

  it('stores the exact bytes under <root>/<key>, creating parent directories, with no temp file left', async () => {
    await put('outputs/p/src/app.py', 'print("hi")\n');
    expect(await readFile(join(root, 'outputs/p/src/app.py'), 'utf8')).toBe('print("hi")\n');
    expect(await tree(root)).toEqual(['outputs/p/src/app.py']);
  });

  it('keeps binary content byte for byte', async () => {
    const data = Buffer.concat([randomBytes(200_000), Buffer.from([0, 0xff, 0xfe, 0x0d, 0x0a, 0])]);
    const chunks = [data.subarray(0, 65_537), data.subarray(65_537)];
    await store.put('outputs/p/blob.bin', Readable.from(chunks), { size: data.length, contentType: 'x' });
    expect((await readFile(join(root, 'outputs/p/blob.bin'))).equals(data)).toBe(true);
  });

  it('never shows a partial object: the key appears only once the body is complete', async () => {
    await put('outputs/p/r.txt', 'old version');
    const body = new PassThrough();
    const done = store.put('outputs/p/r.txt', body, { size: 11, contentType: 'text/plain' });
    body.write('new ');
    await new Promise((r) => setTimeout(r, 50));
    expect(await readFile(join(root, 'outputs/p/r.txt'), 'utf8')).toBe('old version');
    body.end('version');
    await done;
    expect(await readFile(join(root, 'outputs/p/r.txt'), 'utf8')).toBe('new version');
    expect(await tree(root)).toEqual(['outputs/p/r.txt']);
  });

  it('commits nothing and leaves no temp file when the body fails midway', async () => {
    const body = new PassThrough();
    const done = store.put('outputs/p/x.txt', body, { size: 100, contentType: 'text/plain' });
    body.write('partial');
    setTimeout(() => body.destroy(new Error('disk on fire')), 20);
    await expect(done).rejects.toThrow('disk on fire');
    expect(await tree(root)).toEqual([]);
  });

  it('rejects with the error of a body that failed before it was read, and does not crash', async () => {
    const body = new PassThrough();
    body.destroy(new Error('gone before the upload'));
    await expect(store.put('outputs/p/y.txt', body, { size: 1, contentType: 'text/plain' })).rejects.toThrow('gone before the upload');
    expect(await tree(root)).toEqual([]);
  });

  it('commits nothing when the body is not exactly `size` bytes', async () => {
    const short = store.put('outputs/p/a.txt', Readable.from([Buffer.from('abc')]), { size: 4, contentType: 'x' });
    await expect(short).rejects.toThrow(/Expected 4 bytes/);
    expect(await tree(root)).toEqual([]);
  });

  it('rejects unsafe keys before writing anything', async () => {
    await expect(put('../escape.txt', 'x')).rejects.toThrow(/Invalid storage key/);
    await expect(put('/abs.txt', 'x')).rejects.toThrow(/Invalid storage key/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses to write through a symlinked directory that leads out of the root', async () => {
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await mkdir(root);
    await symlink(outside, join(root, 'outputs'));
    await expect(put('outputs/x.txt', 'x')).rejects.toThrow(/outside the artifact root/);
    expect(await readdir(outside)).toEqual([]);
  });
});

describe('LocalArtifactStore.links', () => {
  it('gives a signed download URL, a file:// s3_url and the expiry', async () => {
    const key = 'outputs/p/dir name/r\u00e9sum\u00e9 #1.md';
    const links = store.links(key, 'http://127.0.0.1:8080/');
    const expires = NOW_MS / 1000 + 3600;
    const url = new URL(links.download_url);
    expect(`${url.origin}${url.pathname}`).toBe('http://127.0.0.1:8080/files/outputs/p/dir%20name/r%C3%A9sum%C3%A9%20%231.md');
    expect(url.searchParams.get('expires')).toBe(String(expires));
    expect(signer.verify(key, expires, url.searchParams.get('signature') ?? '', expires - 1)).toBe(true);
    expect(links.console_url).toBe(links.download_url);
    expect(links.expires_at).toBe('2024-03-09T08:05:04.000Z');
    expect(fileURLToPath(links.s3_url)).toBe(join(root, key));
  });
});

describe('LocalArtifactStore.stat', () => {
  it('returns the absolute path and size of a stored key', async () => {
    await put('outputs/p/a.txt', 'hello');
    const info = await store.stat('outputs/p/a.txt');
    expect(info?.size).toBe(5);
    expect(await readFile(info?.path ?? '', 'utf8')).toBe('hello');
  });

  it('returns undefined for missing keys, directories and unsafe keys', async () => {
    await put('outputs/p/a.txt', 'hello');
    for (const key of [
      'outputs/p/missing.txt',
      'outputs/p',
      'outputs/p/a.txt/x',
      '../a.txt',
      '/etc/passwd',
      'a\0b',
      'outputs/p/../p/a.txt',
    ]) {
      expect(await store.stat(key), key).toBeUndefined();
    }
  });

  it('does not follow a symlinked file or directory out of the root', async () => {
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'secret');
    await put('outputs/p/a.txt', 'hello');
    await symlink(join(outside, 'secret.txt'), join(root, 'outputs/p/link.txt'));
    await symlink(outside, join(root, 'outputs/p/linkdir'));
    expect(await store.stat('outputs/p/link.txt')).toBeUndefined();
    expect(await store.stat('outputs/p/linkdir/secret.txt')).toBeUndefined();
  });
});

describe('LocalArtifactStore.removePartials', () => {
  it('removes the temp files of uploads a dead process left, and keeps stored files', async () => {
    await put('outputs/p/kept.txt', 'kept');
    // What a process killed mid-upload leaves: a temp file in the staging folder.
    await writeFile(join(root, '.staging', '0b7e8f0c-1d2e-4f3a-8b9c-0d1e2f3a4b5c.partial'), 'half');
    expect(await store.removePartials()).toBe(1);
    expect(await tree(root)).toEqual(['outputs/p/kept.txt']);
    expect(await store.removePartials()).toBe(0);
  });

  it('on the first start after an upgrade, also removes the partials older releases left beside their targets', async () => {
    await mkdir(join(root, 'outputs/20240101_000000_abcd1234/src'), { recursive: true });
    const legacy = join(root, 'outputs/20240101_000000_abcd1234/src/.0b7e8f0c-1d2e-4f3a-8b9c-0d1e2f3a4b5c.partial');
    await writeFile(legacy, 'half');
    // A file of the run that only looks a bit like one is kept.
    await writeFile(join(root, 'outputs/20240101_000000_abcd1234/src/notes.partial'), 'mine');
    await writeFile(join(root, 'outputs/20240101_000000_abcd1234/src/app.py'), 'x');
    expect(await store.removePartials()).toBe(1);
    expect(await tree(root)).toEqual(['outputs/20240101_000000_abcd1234/src/app.py', 'outputs/20240101_000000_abcd1234/src/notes.partial']);
    // The staging folder now exists: later starts do not walk the store again.
    await writeFile(legacy, 'half');
    expect(await store.removePartials()).toBe(0);
  });
});

describe('LocalArtifactStore.delete', () => {
  it('deletes a stored file and the folders it leaves empty, not the root nor a folder still in use', async () => {
    await put('outputs/a/x/one.txt', '1');
    await put('outputs/a/two.txt', '2');
    await store.delete('outputs/a/x/one.txt');
    expect(await tree(root)).toEqual(['outputs/a/two.txt']);
    await store.delete('outputs/a/two.txt');
    expect(await readdir(root)).toEqual(['.staging']);
    await store.delete('outputs/a/two.txt'); // gone already: no error
    await expect(store.delete('../x')).rejects.toThrow(/Invalid storage key/);
  });
});
