import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectChanges } from './detect-changes.js';
import { takeSnapshot } from './snapshot.js';
import { loadSnapshot, parseSnapshot, saveSnapshot, serializeSnapshot, SnapshotFileError } from './snapshot-file.js';

const made: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-snapfile-'));
  made.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('saveSnapshot and loadSnapshot', () => {
  it('round-trips a real snapshot exactly, bigints included, so a diff after a restart sees the same changes', async () => {
    const root = await tempDir();
    await mkdir(path.join(root, 'src'));
    await writeFile(path.join(root, 'src', 'kept.py'), 'print(1)\n');
    await writeFile(path.join(root, 'line\nbreak "quoted".txt'), 'x');
    await symlink('/etc/passwd', path.join(root, 'link'));
    const before = await takeSnapshot(root);
    const file = path.join(await tempDir(), 'snapshots', 'inv.json');

    await saveSnapshot(file, before);
    const loaded = await loadSnapshot(file);

    expect(loaded).toEqual(before);
    expect(typeof loaded?.entries.get('src/kept.py')?.ino).toBe('bigint');
    await writeFile(path.join(root, 'src', 'new.py'), 'print(2)\n');
    const after = await takeSnapshot(root);
    expect(detectChanges(loaded!, after).files.map((f) => f.path)).toEqual(['src/new.py']);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(await readdir(path.dirname(file))).toEqual(['inv.json']); // no temporary file left
  });

  it('keeps the truncated flag and a value past 2^53 without loss', () => {
    const big = 2n ** 63n - 1n;
    const snap = {
      entries: new Map([['f', { path: 'f', kind: 'file' as const, size: 1, mtimeNs: big, ctimeNs: big, ino: big, dev: 1n, nlink: 1 }]]),
      truncated: true,
    };
    expect(parseSnapshot(serializeSnapshot(snap))).toEqual(snap);
  });

  it('replaces an earlier file whole', async () => {
    const file = path.join(await tempDir(), 's.json');
    await saveSnapshot(file, { entries: new Map(), truncated: true });
    await saveSnapshot(file, { entries: new Map(), truncated: false });
    expect((await loadSnapshot(file))?.truncated).toBe(false);
  });

  it('answers undefined for no file, and SnapshotFileError for one that is not a snapshot', async () => {
    const dir = await tempDir();
    expect(await loadSnapshot(path.join(dir, 'none.json'))).toBeUndefined();
    for (const [name, text] of [
      ['cut.json', '{"format":1,"truncated":false,"entr'],
      ['other.json', '{"format":2,"truncated":false,"entries":[]}'],
      [
        'number.json',
        '{"format":1,"truncated":false,"entries":[{"path":"f","kind":"file","size":1,"mtimeNs":1,"ctimeNs":"1","ino":"1","dev":"1","nlink":1}]}',
      ],
    ]) {
      await writeFile(path.join(dir, name!), text!);
      await expect(loadSnapshot(path.join(dir, name!))).rejects.toBeInstanceOf(SnapshotFileError);
    }
  });

  it('refuses to write through a directory that is a symbolic link', async () => {
    const dir = await tempDir();
    const elsewhere = await tempDir();
    await symlink(elsewhere, path.join(dir, 'snapshots'));
    await expect(saveSnapshot(path.join(dir, 'snapshots', 's.json'), { entries: new Map(), truncated: false })).rejects.toThrow(
      /not a plain directory/,
    );
    expect(await readdir(elsewhere)).toEqual([]);
  });
});
