import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureWorkspace, InvalidSessionIdError } from './ensure-workspace.js';
import { forgetRunSnapshot, makeSessionDirs, runSnapshotFile, sessionDirs, sessionsRoot } from './session-dirs.js';

const INV = '0a1b2c3d-0000-4000-8000-000000000001';
const made: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-session-dirs-'));
  made.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('sessionDirs', () => {
  it('lays a session out as <dataDir>/sessions/<id>/{workspace,home,tmp,snapshots,git}', () => {
    expect(sessionsRoot('/data')).toBe('/data/sessions');
    expect(sessionDirs('/data', 's1')).toEqual({
      root: '/data/sessions/s1',
      workspace: '/data/sessions/s1/workspace',
      home: '/data/sessions/s1/home',
      tmp: '/data/sessions/s1/tmp',
      snapshots: '/data/sessions/s1/snapshots',
      git: '/data/sessions/s1/git',
    });
    expect(runSnapshotFile('/data', 's1', INV)).toBe(`/data/sessions/s1/snapshots/${INV}.json`);
  });

  it.each(['..', '.', '../x', 'a/b', '', '.hidden'])('refuses the unsafe id %j', (bad) => {
    expect(() => sessionDirs('/data', bad)).toThrow(InvalidSessionIdError);
    expect(() => runSnapshotFile('/data', bad, INV)).toThrow(InvalidSessionIdError);
  });

  it('agrees with ensureWorkspace on where the workspace is', async () => {
    const dataDir = await tempDir();
    expect(await ensureWorkspace(sessionsRoot(dataDir), 's1')).toBe(sessionDirs(dataDir, 's1').workspace);
  });
});

describe('makeSessionDirs', () => {
  it('creates workspace, home and tmp with mode 0700, and is idempotent', async () => {
    const dataDir = await tempDir();
    const dirs = await makeSessionDirs(dataDir, 's1');
    expect(dirs).toEqual(sessionDirs(dataDir, 's1'));
    for (const dir of [dirs.root, dirs.workspace, dirs.home, dirs.tmp]) {
      const stats = await lstat(dir);
      expect(stats.isDirectory()).toBe(true);
      expect(stats.mode & 0o777).toBe(0o700);
    }
    await writeFile(path.join(dirs.home, 'kept'), 'x');
    await makeSessionDirs(dataDir, 's1');
    expect(await readdir(dirs.home)).toEqual(['kept']);
  });

  it('refuses a workspace that was replaced by a link', async () => {
    const dataDir = await tempDir();
    await mkdir(sessionDirs(dataDir, 's1').root, { recursive: true });
    await symlink('/', sessionDirs(dataDir, 's1').workspace);
    await expect(makeSessionDirs(dataDir, 's1')).rejects.toThrow(/not a plain directory/);
  });
});

describe('forgetRunSnapshot', () => {
  it('deletes the snapshot file, and neither a missing file nor an unsafe id throws', async () => {
    const dataDir = await tempDir();
    const file = runSnapshotFile(dataDir, 's1', INV);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '{}');
    forgetRunSnapshot(dataDir, 's1', INV);
    expect(existsSync(file)).toBe(false);
    expect(() => forgetRunSnapshot(dataDir, 's1', INV)).not.toThrow();
    expect(() => forgetRunSnapshot(dataDir, '..', INV)).not.toThrow();
  });
});
