import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LimitsSupport } from './detect-limits.js';
import type { LimitHit } from './limit-hit.js';
import { openRunLimits } from './run-limits.js';

const resources = { memoryMb: 256, pids: 64, cpus: 1, diskMb: 20 };
const MiB = 2 ** 20;

/** No cgroups, no run user: the fallback of a service that cannot do better. */
const diskOnly: LimitsSupport = {
  cgroups: undefined,
  cgroupNote: 'none here',
  user: undefined,
  userNote: 'not root',
  prlimit: '/usr/bin/prlimit',
  setpriv: undefined,
};

describe('openRunLimits without cgroups (the fallback: file size limit and disk polling)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-runlimits-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('confines with prlimit alone: no inner command, no kept capability', async () => {
    const limits = await openRunLimits(diskOnly, { name: 'run-a', resources, dirs: [dir], maxEntries: 100, onHit: () => undefined });
    expect(limits.confine).toMatchObject({ prefix: ['/usr/bin/prlimit', `--fsize=${20 * MiB}`, '--'], inner: [], keepCaps: [] });
    expect(() => limits.confine.onSpawned(process.pid)).not.toThrow();
    expect(await limits.close()).toBeUndefined();
  });

  it('does not walk the folders of a parked warm agent, and walks them again once a run takes it', async () => {
    const hits: string[] = [];
    const limits = await openRunLimits(diskOnly, {
      name: 'warm-a',
      resources: { ...resources, diskMb: 1 },
      dirs: [dir],
      maxEntries: 100,
      diskMs: 5,
      onHit: (hit) => hits.push(hit.stopReason),
    });
    limits.background(true);
    fs.writeFileSync(path.join(dir, 'big'), Buffer.alloc(2 * MiB));
    await new Promise((r) => setTimeout(r, 100));
    expect(hits).toEqual([]);
    limits.background(false);
    for (let i = 0; i < 100 && hits.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(hits).toEqual(['disk_limit']);
    await limits.close();
  });

  it('with a run user: setpriv inside and the capabilities it needs kept', async () => {
    const support = {
      ...diskOnly,
      prlimit: undefined,
      setpriv: '/usr/bin/setpriv',
      user: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
    };
    const limits = await openRunLimits(support, { name: 'run-b', resources, dirs: [dir], maxEntries: 100, onHit: () => undefined });
    expect(limits.confine.prefix).toEqual([]);
    expect(limits.confine.inner[0]).toBe('/usr/bin/setpriv');
    expect(limits.confine.inner.at(-1)).toBe('--');
    expect(limits.confine.keepCaps).toEqual(['CAP_SETUID', 'CAP_SETGID', 'CAP_SETPCAP']);
    await limits.close();
  });

  it('stops a run whose directories go over the disk limit while it runs, once', async () => {
    const hits: LimitHit[] = [];
    const limits = await openRunLimits(diskOnly, {
      name: 'run-c',
      resources,
      dirs: [dir],
      maxEntries: 100,
      diskMs: 50,
      onHit: (h) => hits.push(h),
    });
    fs.writeFileSync(path.join(dir, 'a.bin'), Buffer.alloc(12 * MiB, 1));
    await new Promise((r) => setTimeout(r, 300));
    expect(hits).toEqual([]);
    fs.writeFileSync(path.join(dir, 'b.bin'), Buffer.alloc(12 * MiB, 1));
    const deadline = Date.now() + 5000;
    while (hits.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(hits.map((h) => h.stopReason)).toEqual(['disk_limit']);
    await new Promise((r) => setTimeout(r, 200));
    expect(hits).toHaveLength(1);
    expect((await limits.close())?.stopReason).toBe('disk_limit');
  });

  it('finds at close a limit gone over after the last look, and counts too many files as over it', async () => {
    const limits = await openRunLimits(diskOnly, {
      name: 'run-d',
      resources,
      dirs: [dir],
      maxEntries: 10,
      diskMs: 60_000,
      onHit: () => undefined,
    });
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(dir, `f${i}`), '');
    const hit = await limits.close();
    expect(hit?.stopReason).toBe('disk_limit');
    expect(hit?.message).toContain('more than 10 files');
  });
});

describe('the free-space backstop', () => {
  it('stops a run when the disk its session is on runs low, whatever the walk counted (a deleted file held open)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-runlimits-'));
    try {
      const hits: LimitHit[] = [];
      let free = 10 * 2 ** 30;
      const limits = await openRunLimits(diskOnly, {
        name: 'run-space',
        resources,
        dirs: [dir],
        maxEntries: 100,
        onHit: (hit) => hits.push(hit),
        diskMs: 20,
        space: async () => ({ freeBytes: free, sizeBytes: 100 * 2 ** 30 }),
      });
      await new Promise((r) => setTimeout(r, 120));
      expect(hits).toEqual([]);
      free = 900 * MiB;
      await new Promise((r) => setTimeout(r, 200));
      expect(await limits.close()).toMatchObject({ stopReason: 'disk_limit', message: expect.stringMatching(/has only 900 MB free/) });
      expect(hits).toHaveLength(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
