import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diskUsage, walkDiskUsage } from './disk-usage.js';

const MiB = 2 ** 20;

// du counts inodes (a file with two names once), the walk counts names.
describe.each([
  ['diskUsage (du)', diskUsage, 4],
  ['walkDiskUsage (where du is missing)', walkDiskUsage, 5],
])('%s', (_name, diskUsage, nestedEntries) => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-du-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('adds up the blocks of several directories, nested, counting a hard-linked file once', async () => {
    const a = path.join(root, 'a');
    const b = path.join(root, 'b');
    await fs.mkdir(path.join(a, 'deep/er'), { recursive: true });
    await fs.mkdir(b);
    await fs.writeFile(path.join(a, 'deep/er/one'), Buffer.alloc(2 * MiB, 1));
    await fs.writeFile(path.join(b, 'two'), Buffer.alloc(1 * MiB, 1));
    await fs.link(path.join(b, 'two'), path.join(a, 'two-again'));
    const usage = await diskUsage([a, b], 1000);
    expect(usage.complete).toBe(true);
    expect(usage.entries).toBe(nestedEntries); // deep, er, one, two-again, two
    expect(usage.bytes).toBeGreaterThanOrEqual(3 * MiB);
    expect(usage.bytes).toBeLessThan(3 * MiB + 256 * 1024);
  });

  it('follows no symbolic link and counts a sparse file by what it holds', async () => {
    await fs.writeFile(path.join(root, 'big'), Buffer.alloc(4 * MiB, 1));
    const dir = path.join(root, 'run');
    await fs.mkdir(dir);
    await fs.symlink(root, path.join(dir, 'up'));
    await fs.symlink(path.join(root, 'big'), path.join(dir, 'big-link'));
    const sparse = await fs.open(path.join(dir, 'sparse'), 'w');
    await sparse.truncate(512 * MiB);
    await sparse.close();
    const usage = await diskUsage([dir], 1000);
    expect(usage.entries).toBe(3);
    expect(usage.bytes).toBeLessThan(64 * 1024);
  });

  it('says the figure is incomplete past maxEntries', async () => {
    await Promise.all(Array.from({ length: 30 }, (_, i) => fs.writeFile(path.join(root, `f${i}`), 'x')));
    const over = await diskUsage([root], 10);
    expect(over.complete).toBe(false);
    expect(over.entries).toBeGreaterThan(10);
    expect(await diskUsage([root], 30)).toMatchObject({ entries: 30, complete: true });
  });

  it('skips a directory that is gone', async () => {
    expect(await diskUsage([path.join(root, 'missing')], 10)).toEqual({ bytes: 0, entries: 0, complete: true });
  });
});
