import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gzipBomb, multipartOf, tarGzOf, tarOf, zipOf } from '../../test/support/archives.js';
import { uploadToWorkspace, type UploadResult } from './upload-to-workspace.js';
import { uploadLimits, type UploadLimits } from './upload-limits.js';

const MiB = 1024 * 1024;
let root: string;
let workspace: string;
let outside: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cca-upload-'));
  workspace = path.join(root, 'session', 'workspace');
  outside = path.join(root, 'outside');
  await mkdir(workspace, { recursive: true });
  await mkdir(outside);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function limits(over: Partial<UploadLimits> = {}): UploadLimits {
  return { ...uploadLimits({ maxBytes: 10 * MiB, maxFiles: 50 }, {}, { diskMb: 1024, usedBytes: 0 }), ...over };
}

function upload(body: Buffer, type: string, over: Partial<UploadLimits> = {}, base = ''): Promise<UploadResult> {
  // In pieces, as a socket delivers it: the ratio is checked against what has arrived so far.
  const pieces = Array.from({ length: Math.ceil(body.length / 65536) }, (_, i) => body.subarray(i * 65536, (i + 1) * 65536));
  return uploadToWorkspace(Readable.from(pieces), type, base, {
    sessionRoot: path.join(root, 'session'),
    workspace,
    limits: limits(over),
    owner: undefined,
  });
}

/** Every path under the workspace, and proof that no staging folder was left in the session. */
async function tree(): Promise<string[]> {
  expect((await readdir(path.join(root, 'session'))).filter((n) => n.startsWith('.upload-'))).toEqual([]);
  return (await readdir(workspace, { recursive: true })).sort();
}

describe('tar.gz', () => {
  it('writes files and folders under ?path=, 0644, and lists them', async () => {
    const body = tarGzOf([
      { path: './', type: 'Directory' },
      { path: 'src/', type: 'Directory' },
      { path: 'src/app.py', body: 'print(1)\n' },
      { path: './README.md', body: 'hi' },
    ]);
    const result = await upload(body, 'application/gzip', {}, 'proj/');
    expect(result.files).toEqual([
      { path: 'proj/README.md', size: 2 },
      { path: 'proj/src/app.py', size: 9 },
    ]);
    expect(await readFile(path.join(workspace, 'proj/src/app.py'), 'utf8')).toBe('print(1)\n');
    expect((await lstat(path.join(workspace, 'proj/src/app.py'))).mode & 0o777).toBe(0o644);
    expect(await tree()).toEqual(['proj', 'proj/README.md', 'proj/src', 'proj/src/app.py']);
  });

  it.each([
    ['../x', '".." segment'],
    ['a/../../x', '".." segment'],
    ['/etc/x', 'absolute'],
    ['a\\..\\x', 'backslash'],
  ])('refuses %s (400), writing nothing, not even the good entries before it', async (name, why) => {
    await writeFile(path.join(workspace, 'keep.txt'), 'old');
    const body = tarGzOf([
      { path: 'keep.txt', body: 'new' },
      { path: name, body: 'evil' },
    ]);
    const err = await upload(body, 'application/gzip').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, message: expect.stringContaining(why) });
    expect((err as Error).message).toContain(JSON.stringify(name));
    expect(await readFile(path.join(workspace, 'keep.txt'), 'utf8')).toBe('old');
    expect(await tree()).toEqual(['keep.txt']);
    expect(await readdir(outside)).toEqual([]);
  });

  it('skips symbolic links, hard links and devices, and says why', async () => {
    const body = tarGzOf([
      { path: 'out', type: 'SymbolicLink', linkpath: '/etc/passwd' },
      { path: 'hard', type: 'Link', linkpath: '/etc/shadow' },
      { path: 'tty', type: 'CharacterDevice' },
      { path: 'fifo', type: 'FIFO' },
      { path: 'ok.txt', body: 'ok' },
    ]);
    const result = await upload(body, 'application/gzip');
    expect(result.skipped).toEqual([
      { path: 'out', reason: 'symbolic_link' },
      { path: 'hard', reason: 'hard_link' },
      { path: 'tty', reason: 'special_file' },
      { path: 'fifo', reason: 'special_file' },
    ]);
    expect(await tree()).toEqual(['ok.txt']);
  });

  it('refuses a path through a symbolic link already in the workspace (400), writing nothing there', async () => {
    await symlink(outside, path.join(workspace, 'link'));
    const err = await upload(tarGzOf([{ path: 'link/x', body: 'evil' }]), 'application/gzip').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, message: expect.stringContaining('"link" in the workspace is a symbolic link') });
    expect(await readdir(outside)).toEqual([]);
  });

  it('refuses to replace a symbolic link in the workspace', async () => {
    await symlink(path.join(outside, 'target'), path.join(workspace, 'f'));
    const err = await upload(tarGzOf([{ path: 'f', body: 'evil' }]), 'application/gzip').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400 });
    expect((await lstat(path.join(workspace, 'f'))).isSymbolicLink()).toBe(true);
    expect(await readdir(outside)).toEqual([]);
  });

  it('stops a 1 GiB gzip bomb early by its compression ratio (413), whatever its header says', async () => {
    const bomb = gzipBomb(1);
    expect(bomb.length).toBeLessThan(3 * MiB);
    const started = Date.now();
    const err = await upload(bomb, 'application/gzip', { maxBytes: 4096 * MiB, maxEntryBytes: 4096 * MiB }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 413, details: { limit_name: 'compression_ratio' } });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await tree()).toEqual([]);
  });

  it('stops at the byte limit while streaming (413), and names the setting to raise', async () => {
    const err = await upload(tarGzOf([{ path: 'big.bin', body: randomBytes(2 * MiB) }]), 'application/gzip', {
      maxBytes: MiB,
      maxEntryBytes: MiB,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 413, message: expect.stringContaining('CCA_UPLOAD_MAX_MB') });
    expect((err as Error).message).toContain('--max-upload-mb');
    expect(await tree()).toEqual([]);
  });

  it('refuses more files than the limit (413)', async () => {
    const entries = Array.from({ length: 6 }, (_, i) => ({ path: `f${i}.txt`, body: 'x' }));
    const err = await upload(tarGzOf(entries), 'application/gzip', { maxFiles: 5 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 413, details: { limit_name: 'upload_files' } });
    expect(await tree()).toEqual([]);
  });

  it('refuses an archive of endless skipped entries (413): every entry counts', async () => {
    const links = Array.from({ length: 40 }, (_, i) => ({ path: `l${i}`, type: 'SymbolicLink' as const, linkpath: 'x' }));
    const err = await upload(tarGzOf(links), 'application/gzip', { maxFiles: 5 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 413 });
  });

  it('refuses what would put the workspace over the run disk limit (413)', async () => {
    const err = await upload(tarOf([{ path: 'a.bin', body: Buffer.alloc(3000) }]), 'application/x-tar', { diskRoomBytes: 2000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ status: 413, details: { limit_name: 'run_disk' } });
    expect(await tree()).toEqual([]);
  });

  it('answers 400 for a body that is not a tar', async () => {
    const err = await upload(Buffer.from('this is not an archive at all, just some text'.repeat(30)), 'application/x-tar').catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ status: 400 });
  });
});

describe('zip', () => {
  it('writes files, skips links', async () => {
    const body = await zipOf([
      { name: 'src/app.py', body: 'print(2)\n' },
      { name: 'docs/' },
      { name: 'out', body: '/etc/passwd', mode: 0o120777 },
    ]);
    const result = await upload(body, 'application/zip');
    expect(result.files).toEqual([{ path: 'src/app.py', size: 9 }]);
    expect(result.skipped).toEqual([{ path: 'out', reason: 'symbolic_link' }]);
    expect(await tree()).toEqual(['docs', 'src', 'src/app.py']);
  });

  it.each(['../x', '/etc/x'])('refuses %s (400) and writes nothing', async (name) => {
    const body = await zipOf([
      { name: 'ok.txt', body: 'ok' },
      { name, body: 'evil' },
    ]);
    const err = await upload(body, 'application/zip').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, message: expect.stringContaining(JSON.stringify(name)) });
    expect(await tree()).toEqual([]);
  });

  it('stops a zip bomb by its compression ratio (413)', async () => {
    const body = await zipOf([{ name: 'zeros.bin', body: Buffer.alloc(40 * MiB) }]);
    const err = await upload(body, 'application/zip', { maxBytes: 4096 * MiB, maxEntryBytes: 4096 * MiB }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 413, details: { limit_name: 'compression_ratio' } });
    expect(await tree()).toEqual([]);
  });
});

describe('multipart', () => {
  it('places parts at their filename (folders kept) or at their field name', async () => {
    const { body, contentType } = multipartOf([
      ['file', 'src/app.py', 'a'],
      ['docs/notes.md', 'whatever.md', 'bb'],
    ]);
    const result = await upload(body, contentType);
    expect(result.files).toEqual([
      { path: 'docs/notes.md', size: 2 },
      { path: 'src/app.py', size: 1 },
    ]);
  });

  it('refuses a filename with ".." (400)', async () => {
    const { body, contentType } = multipartOf([['file', '../../etc/cron.d/x', 'evil']]);
    await expect(upload(body, contentType)).rejects.toMatchObject({ status: 400 });
    expect(await tree()).toEqual([]);
  });

  it('stops a part over the limit (413)', async () => {
    const { body, contentType } = multipartOf([['file', 'big.bin', Buffer.alloc(MiB + 1)]]);
    await expect(upload(body, contentType, { maxBytes: MiB, maxEntryBytes: MiB })).rejects.toMatchObject({ status: 413 });
    expect(await tree()).toEqual([]);
  });
});

it('answers 415 for another Content-Type, listing the accepted ones', async () => {
  await expect(upload(Buffer.from('{}'), 'application/json')).rejects.toMatchObject({
    status: 415,
    message: expect.stringContaining('application/zip'),
  });
});
