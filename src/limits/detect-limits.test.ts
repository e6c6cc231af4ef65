import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeLimits, detectLimits, limitsSummary } from './detect-limits.js';

const resources = { memoryMb: 1024, pids: 512, cpus: 1, diskMb: 2048 };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-detect-'));
const noCgroups = path.join(dir, 'mounts');
fs.writeFileSync(noCgroups, 'proc /proc proc rw 0 0\n');
const selfCgroup = path.join(dir, 'cgroup');
fs.writeFileSync(selfCgroup, '0::/\n');
const runUser = { uid: 65534, gid: 65534 };

describe('detectLimits / describeLimits', () => {
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('without cgroups: falls back to the disk limit alone and says so loudly', () => {
    const support = detectLimits({
      runUser,
      serviceUid: 0,
      mountsFile: noCgroups,
      selfCgroupFile: selfCgroup,
      searchPath: '/usr/bin:/bin',
    });
    expect(support.cgroups).toBeUndefined();
    expect(support.cgroupNote).toMatch(/^no cgroup hierarchy offers memory and pids/);
    expect(limitsSummary(support)).toEqual({ cgroup: 'none', run_uid: 65534 });
    const text = describeLimits(support, resources);
    expect(text).toMatch(/limits: {3}per run 2048 MB disk only: no usable cgroups \(no cgroup hierarchy/);
    expect(text).toMatch(/\nWARNING: memory, process and CPU limits are not enforced/);
    expect(text).toMatch(/run user: runs as uid 65534, gid 65534, without capabilities\n$/);
  });

  it('keeps the service user when it is not root, or when setpriv is missing, and says which', () => {
    const notRoot = detectLimits({ runUser, serviceUid: 1000, mountsFile: noCgroups, selfCgroupFile: selfCgroup });
    expect(notRoot.user).toBeUndefined();
    expect(notRoot.userNote).toBe('the service does not run as root: runs keep its uid 1000');
    expect(limitsSummary(notRoot).run_uid).toBeNull();
    const noSetpriv = detectLimits({ runUser, serviceUid: 0, mountsFile: noCgroups, selfCgroupFile: selfCgroup, searchPath: dir });
    expect(noSetpriv.user).toBeUndefined();
    expect(noSetpriv.userNote).toMatch(/setpriv \(util-linux\) was not found/);
    expect(describeLimits(noSetpriv, resources)).toContain('polled only: prlimit not found');
  });
});
