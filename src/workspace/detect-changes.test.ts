import { execFileSync } from 'node:child_process';
import { link, lstat, mkdir, mkdtemp, readFile, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectChanges } from './detect-changes.js';
import { takeSnapshot } from './snapshot.js';
import { DEFAULT_WORKSPACE_LIMITS } from './types.js';
import type { FileEntry, Snapshot, WorkspaceLimits } from './types.js';

const made: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-changes-'));
  made.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Snapshots `root`, runs `act`, snapshots again and diffs: one simulated invocation. */
async function changesAround(root: string, act: () => Promise<void>, limits?: WorkspaceLimits) {
  const before = await takeSnapshot(root);
  await act();
  const after = await takeSnapshot(root);
  return detectChanges(before, after, limits);
}

const reasons = (skipped: { path: string; reason: string }[]) => skipped.map(({ path, reason }) => ({ path, reason }));
const paths = (files: FileEntry[]) => files.map((f) => f.path);

function hasMkfifo(): boolean {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('detectChanges on real directories', () => {
  it('reports new nested files sorted by path', async () => {
    const root = await tempDir();
    const result = await changesAround(root, async () => {
      await mkdir(path.join(root, 'src', 'app'), { recursive: true });
      await writeFile(path.join(root, 'src', 'app', 'main.py'), 'print(1)\n');
      await writeFile(path.join(root, 'src', 'b.txt'), 'b');
      await writeFile(path.join(root, 'a.txt'), 'a');
    });
    expect(paths(result.files)).toEqual(['a.txt', 'src/app/main.py', 'src/b.txt']);
    expect(result.skipped).toEqual([]);
  });

  it('reports a file rewritten with the same size', async () => {
    const root = await tempDir();
    await writeFile(path.join(root, 'f.txt'), 'aaaa');
    const result = await changesAround(root, async () => {
      await writeFile(path.join(root, 'f.txt'), 'bbbb');
      await utimes(path.join(root, 'f.txt'), new Date(), new Date(Date.now() + 5_000));
    });
    expect(paths(result.files)).toEqual(['f.txt']);
  });

  it('still reports a same-size rewrite whose mtime was put back (ctime moves anyway)', async () => {
    const root = await tempDir();
    const file = path.join(root, 'f.txt');
    // A whole second is exactly representable, so utimes can put mtime back to the nanosecond.
    const stamp = 1_700_000_000;
    await writeFile(file, 'aaaa');
    await utimes(file, stamp, stamp);
    const result = await changesAround(root, async () => {
      // The kernel stamps ctime from a coarse clock (a few ms); step past one tick.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await writeFile(file, 'bbbb');
      await utimes(file, stamp, stamp);
      expect((await lstat(file, { bigint: true })).mtimeNs).toBe(BigInt(stamp) * 1_000_000_000n);
    });
    expect(paths(result.files)).toEqual(['f.txt']);
  });

  it('does not report files that were only read, and ignores deleted files', async () => {
    const root = await tempDir();
    await writeFile(path.join(root, 'kept.txt'), 'same');
    await writeFile(path.join(root, 'gone.txt'), 'bye');
    const result = await changesAround(root, async () => {
      await readFile(path.join(root, 'kept.txt'));
      await unlink(path.join(root, 'gone.txt'));
    });
    expect(result).toEqual({ files: [], skipped: [] });
  });

  it('skips links to /etc/passwd and to / without walking into /', async () => {
    const root = await tempDir();
    const result = await changesAround(root, async () => {
      await symlink('/etc/passwd', path.join(root, 'passwd'));
      await symlink('/', path.join(root, 'host-root'));
    });
    expect(result.files).toEqual([]);
    expect(reasons(result.skipped)).toEqual([
      { path: 'host-root', reason: 'symlink' },
      { path: 'passwd', reason: 'symlink' },
    ]);
    expect(result.skipped[0]?.detail).toBe('symbolic link: links are never followed');
  });

  it('skips a hard link to a file outside the workspace', async () => {
    const root = await tempDir();
    const outside = await tempDir();
    await writeFile(path.join(outside, 'secret'), 'top secret');
    const result = await changesAround(root, async () => {
      await link(path.join(outside, 'secret'), path.join(root, 'innocent.txt'));
    });
    expect(result.files).toEqual([]);
    expect(reasons(result.skipped)).toEqual([{ path: 'innocent.txt', reason: 'hard_link' }]);
  });

  it.skipIf(!hasMkfifo())('skips a FIFO as a special file', async () => {
    const root = await tempDir();
    const result = await changesAround(root, async () => {
      execFileSync('mkfifo', [path.join(root, 'pipe')]);
    });
    expect(result.files).toEqual([]);
    expect(reasons(result.skipped)).toEqual([{ path: 'pipe', reason: 'special_file' }]);
  });

  it('handles names with a space, unicode and a newline', async () => {
    const root = await tempDir();
    const names = ['line\nbreak.txt', 'my notes.txt', 'résumé 😀.md'];
    const result = await changesAround(root, async () => {
      for (const name of names) await writeFile(path.join(root, name), 'x');
    });
    expect(paths(result.files)).toEqual(names);
  });

  it('adds one walk_limit entry when the walk after the run was cut short', async () => {
    const root = await tempDir();
    const before = await takeSnapshot(root, { maxWalkEntries: 3 });
    for (let i = 0; i < 5; i++) await writeFile(path.join(root, `f${i}`), 'x');
    const after = await takeSnapshot(root, { maxWalkEntries: 3 });

    const result = detectChanges(before, after);

    expect(result.files).toHaveLength(3);
    expect(reasons(result.skipped)).toEqual([{ path: '', reason: 'walk_limit' }]);
    expect(result.skipped[0]?.detail).toMatch(/walk/);
  });
});

describe('detectChanges limits', () => {
  const limits = (overrides: Partial<WorkspaceLimits>): WorkspaceLimits => ({ ...DEFAULT_WORKSPACE_LIMITS, ...overrides });

  async function writeSized(root: string, sizes: Record<string, number>) {
    for (const [name, size] of Object.entries(sizes)) await writeFile(path.join(root, name), 'x'.repeat(size));
  }

  it('skips a file over maxFileBytes and keeps the rest', async () => {
    const root = await tempDir();
    const result = await changesAround(root, () => writeSized(root, { a: 5, b: 11, c: 10 }), limits({ maxFileBytes: 10 }));
    expect(paths(result.files)).toEqual(['a', 'c']);
    expect(reasons(result.skipped)).toEqual([{ path: 'b', reason: 'file_too_large' }]);
    expect(result.skipped[0]?.detail).toContain('11 bytes');
  });

  it('skips every file past maxFiles, in path order', async () => {
    const root = await tempDir();
    const result = await changesAround(root, () => writeSized(root, { d: 1, c: 1, b: 1, a: 1 }), limits({ maxFiles: 2 }));
    expect(paths(result.files)).toEqual(['a', 'b']);
    expect(reasons(result.skipped)).toEqual([
      { path: 'c', reason: 'too_many_files' },
      { path: 'd', reason: 'too_many_files' },
    ]);
  });

  it('skips a file that would pass maxTotalBytes but keeps checking smaller later files', async () => {
    const root = await tempDir();
    const result = await changesAround(root, () => writeSized(root, { a: 4, b: 5, c: 3, d: 1 }), limits({ maxTotalBytes: 10 }));
    expect(paths(result.files)).toEqual(['a', 'b', 'd']);
    expect(reasons(result.skipped)).toEqual([{ path: 'c', reason: 'total_bytes_exceeded' }]);
  });

  it('does not let links count against maxFiles', async () => {
    const root = await tempDir();
    const result = await changesAround(
      root,
      async () => {
        await symlink('/etc/passwd', path.join(root, 'a-link'));
        await writeSized(root, { b: 1, c: 1 });
      },
      limits({ maxFiles: 2 }),
    );
    expect(paths(result.files)).toEqual(['b', 'c']);
    expect(reasons(result.skipped)).toEqual([{ path: 'a-link', reason: 'symlink' }]);
  });
});

describe('detectChanges compares each recorded field', () => {
  const base: FileEntry = { path: 'f', kind: 'file', size: 4, mtimeNs: 1n, ctimeNs: 1n, ino: 7n, dev: 1n, nlink: 1 };
  const snap = (entry: FileEntry): Snapshot => ({ entries: new Map([[entry.path, entry]]), truncated: false });

  it.each([
    ['size', { size: 5 }],
    ['mtimeNs', { mtimeNs: 2n }],
    ['ctimeNs', { ctimeNs: 2n }],
    ['ino', { ino: 8n }],
    ['dev', { dev: 2n }],
  ] as const)('reports a file whose %s changed', (_field, change) => {
    expect(paths(detectChanges(snap(base), snap({ ...base, ...change })).files)).toEqual(['f']);
  });

  it('reports a file that became a symlink', () => {
    const result = detectChanges(snap(base), snap({ ...base, kind: 'symlink' }));
    expect(reasons(result.skipped)).toEqual([{ path: 'f', reason: 'symlink' }]);
  });
});
