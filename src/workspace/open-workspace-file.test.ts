import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openWorkspaceFile, WorkspaceFileChangedError } from './open-workspace-file.js';
import { takeSnapshot } from './snapshot.js';
import type { FileEntry } from './types.js';

const made: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-open-'));
  made.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function entryFor(root: string, rel: string): Promise<FileEntry> {
  const entry = (await takeSnapshot(root)).entries.get(rel);
  if (!entry) throw new Error(`no snapshot entry for ${rel}`);
  return entry;
}

async function readVia(root: string, entry: FileEntry): Promise<string> {
  const handle = await openWorkspaceFile(root, entry);
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

function hasMkfifo(): boolean {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('openWorkspaceFile', () => {
  it('opens the file the snapshot saw, including awkward names', async () => {
    const root = await tempDir();
    await mkdir(path.join(root, 'dir with space'));
    const names = ['dir with space/a b.txt', 'résumé 😀.md', 'line\nbreak.txt'];
    for (const name of names) await writeFile(path.join(root, name), `content of ${name}`);

    for (const name of names) {
      expect(await readVia(root, await entryFor(root, name))).toBe(`content of ${name}`);
    }
  });

  it('works when the root is reached through a symlink', async () => {
    const real = await tempDir();
    const links = await tempDir();
    await writeFile(path.join(real, 'a.txt'), 'hello');
    const root = path.join(links, 'ws');
    await symlink(real, root);

    expect(await readVia(root, await entryFor(root, 'a.txt'))).toBe('hello');
  });

  it('refuses a file replaced by a symlink after the snapshot', async () => {
    const root = await tempDir();
    const outside = await tempDir();
    await writeFile(path.join(outside, 'secret'), 'top secret');
    await writeFile(path.join(root, 'out.txt'), 'result');
    const entry = await entryFor(root, 'out.txt');

    await unlink(path.join(root, 'out.txt'));
    await symlink(path.join(outside, 'secret'), path.join(root, 'out.txt'));

    const attempt = openWorkspaceFile(root, entry);
    await expect(attempt).rejects.toBeInstanceOf(WorkspaceFileChangedError);
    await expect(attempt).rejects.toMatchObject({ path: 'out.txt' });
  });

  it('refuses a file replaced by another regular file', async () => {
    const root = await tempDir();
    await writeFile(path.join(root, 'out.txt'), 'result');
    const entry = await entryFor(root, 'out.txt');

    await writeFile(path.join(root, 'other'), 'forged');
    await rename(path.join(root, 'other'), path.join(root, 'out.txt'));

    await expect(openWorkspaceFile(root, entry)).rejects.toBeInstanceOf(WorkspaceFileChangedError);
  });

  // The file itself is untouched (same dev/ino), so only the parent-directory check can catch this.
  it('refuses when a parent directory was moved outside and replaced by a symlink to it', async () => {
    const root = await tempDir();
    const outside = await tempDir();
    await mkdir(path.join(root, 'sub'));
    await writeFile(path.join(root, 'sub', 'f.txt'), 'result');
    const entry = await entryFor(root, 'sub/f.txt');

    await rename(path.join(root, 'sub'), path.join(outside, 'sub'));
    await symlink(path.join(outside, 'sub'), path.join(root, 'sub'));

    const attempt = openWorkspaceFile(root, entry);
    await expect(attempt).rejects.toBeInstanceOf(WorkspaceFileChangedError);
    await expect(attempt).rejects.toThrow(/parent directory/);
  });

  it.skipIf(!hasMkfifo())('refuses a FIFO swapped in, without blocking', async () => {
    const root = await tempDir();
    await writeFile(path.join(root, 'out.txt'), 'result');
    const entry = await entryFor(root, 'out.txt');

    await unlink(path.join(root, 'out.txt'));
    execFileSync('mkfifo', [path.join(root, 'out.txt')]);

    await expect(openWorkspaceFile(root, entry)).rejects.toBeInstanceOf(WorkspaceFileChangedError);
  });

  it.each(['/etc/passwd', '../outside.txt', 'sub/../../outside.txt', '', 'a\0b'])('refuses the path %j', async (bad) => {
    const root = await tempDir();
    await writeFile(path.join(root, 'real.txt'), 'x');
    const entry = { ...(await entryFor(root, 'real.txt')), path: bad };

    await expect(openWorkspaceFile(root, entry)).rejects.toBeInstanceOf(WorkspaceFileChangedError);
  });
});
