import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { takeSnapshot } from './snapshot.js';

const made: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-snapshot-'));
  made.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function hasMkfifo(): boolean {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('takeSnapshot', () => {
  it('records nested files under POSIX relative paths and leaves directories out', async () => {
    const root = await tempDir();
    await mkdir(path.join(root, 'src', 'app'), { recursive: true });
    await writeFile(path.join(root, 'src', 'app', 'main.py'), 'print(1)\n');
    await writeFile(path.join(root, 'README.md'), '# hi\n');
    await mkdir(path.join(root, 'empty'));

    const snap = await takeSnapshot(root);

    expect([...snap.entries.keys()].sort()).toEqual(['README.md', 'src/app/main.py']);
    expect(snap.truncated).toBe(false);
    const main = snap.entries.get('src/app/main.py');
    const stats = await lstat(path.join(root, 'src', 'app', 'main.py'), { bigint: true });
    expect(main).toEqual({
      path: 'src/app/main.py',
      kind: 'file',
      size: 9,
      mtimeNs: stats.mtimeNs,
      ctimeNs: stats.ctimeNs,
      ino: stats.ino,
      dev: stats.dev,
      nlink: 1,
    });
  });

  it('keeps names with a space, unicode and a newline intact', async () => {
    const root = await tempDir();
    const names = ['my notes.txt', 'données/résumé 😀.md', 'line\nbreak.txt'];
    await mkdir(path.join(root, 'données'));
    for (const name of names) await writeFile(path.join(root, name), 'x');

    const snap = await takeSnapshot(root);

    expect([...snap.entries.keys()].sort()).toEqual([...names].sort());
  });

  it('records links to /etc/passwd and to / as symlinks without following them', async () => {
    const root = await tempDir();
    await symlink('/etc/passwd', path.join(root, 'passwd'));
    await symlink('/', path.join(root, 'host-root'));

    const snap = await takeSnapshot(root);

    expect([...snap.entries.keys()].sort()).toEqual(['host-root', 'passwd']);
    expect(snap.entries.get('host-root')?.kind).toBe('symlink');
    expect(snap.entries.get('passwd')?.kind).toBe('symlink');
  });

  it('walks a root given through a symlink (e.g. /tmp -> /private/tmp)', async () => {
    const real = await tempDir();
    const links = await tempDir();
    await writeFile(path.join(real, 'a.txt'), 'a');
    await symlink(real, path.join(links, 'ws'));

    const snap = await takeSnapshot(path.join(links, 'ws'));

    expect([...snap.entries.keys()]).toEqual(['a.txt']);
  });

  it.skipIf(!hasMkfifo())('records a FIFO as kind "other" without opening it', async () => {
    const root = await tempDir();
    execFileSync('mkfifo', [path.join(root, 'pipe')]);

    const snap = await takeSnapshot(root);

    expect(snap.entries.get('pipe')?.kind).toBe('other');
  });

  it('stops after maxWalkEntries entries and says so', async () => {
    const root = await tempDir();
    for (let i = 0; i < 10; i++) await writeFile(path.join(root, `f${i}`), 'x');

    const cut = await takeSnapshot(root, { maxWalkEntries: 4 });
    expect(cut.truncated).toBe(true);
    expect(cut.entries.size).toBe(4);

    const exact = await takeSnapshot(root, { maxWalkEntries: 10 });
    expect(exact.truncated).toBe(false);
    expect(exact.entries.size).toBe(10);
  });

  it('counts directories against maxWalkEntries, so deep empty trees cannot run it forever', async () => {
    const root = await tempDir();
    await mkdir(path.join(root, 'a', 'b', 'c', 'd', 'e'), { recursive: true });

    const snap = await takeSnapshot(root, { maxWalkEntries: 3 });

    expect(snap.truncated).toBe(true);
    expect(snap.entries.size).toBe(0);
  });

  // root reads every directory regardless of its mode, so this can only be seen as another user.
  it.skipIf(process.getuid?.() === 0)('steps over a directory it cannot read', async () => {
    const root = await tempDir();
    await mkdir(path.join(root, 'locked'));
    await writeFile(path.join(root, 'locked', 'secret'), 'x');
    await writeFile(path.join(root, 'open.txt'), 'x');
    await chmod(path.join(root, 'locked'), 0o000);
    try {
      const snap = await takeSnapshot(root);
      expect([...snap.entries.keys()]).toEqual(['open.txt']);
    } finally {
      await chmod(path.join(root, 'locked'), 0o700);
    }
  });
});
