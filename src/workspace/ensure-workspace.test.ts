import { lstat, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/index.js';
import { ensureWorkspace, InvalidSessionIdError, isValidSessionId } from './ensure-workspace.js';

const made: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-sessions-'));
  made.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('ensureWorkspace', () => {
  it('creates <root>/<id>/workspace with mode 0700 for a UUID, and is idempotent', async () => {
    const sessionsRoot = path.join(await tempDir(), 'sessions');
    const id = '3f2b8c1e-9a4d-4e7f-b6a2-1c0d5e8f7a93';

    const workspace = await ensureWorkspace(sessionsRoot, id);

    expect(workspace).toBe(path.join(sessionsRoot, id, 'workspace'));
    for (const dir of [sessionsRoot, path.join(sessionsRoot, id), workspace]) {
      const stats = await lstat(dir);
      expect(stats.isDirectory()).toBe(true);
      expect(stats.mode & 0o777).toBe(0o700);
    }
    expect(await ensureWorkspace(sessionsRoot, id)).toBe(workspace);
  });

  it.each(['../x', 'a/b', '', '..', '.', '.hidden', '-rf', 'abc\n', 'a b', 'x'.repeat(129)])(
    'rejects %j and creates nothing',
    async (bad) => {
      const sessionsRoot = await tempDir();
      const attempt = ensureWorkspace(sessionsRoot, bad);
      await expect(attempt).rejects.toBeInstanceOf(InvalidSessionIdError);
      await expect(attempt).rejects.toBeInstanceOf(ValidationError);
      expect(await readdir(sessionsRoot)).toEqual([]);
    },
  );

  it('refuses a session directory that was replaced by a symlink', async () => {
    const sessionsRoot = await tempDir();
    const elsewhere = await tempDir();
    await symlink(elsewhere, path.join(sessionsRoot, 'abc'));

    await expect(ensureWorkspace(sessionsRoot, 'abc')).rejects.toThrow(/not a plain directory/);
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('refuses a workspace that was replaced by a symlink to /', async () => {
    const sessionsRoot = await tempDir();
    await mkdir(path.join(sessionsRoot, 'abc'));
    await symlink('/', path.join(sessionsRoot, 'abc', 'workspace'));

    await expect(ensureWorkspace(sessionsRoot, 'abc')).rejects.toThrow(/not a plain directory/);
  });
});

describe('isValidSessionId', () => {
  it('accepts ids of 1 to 128 safe characters', () => {
    expect(isValidSessionId('a')).toBe(true);
    expect(isValidSessionId('Run_1.2-b')).toBe(true);
    expect(isValidSessionId('x'.repeat(128))).toBe(true);
  });
});
