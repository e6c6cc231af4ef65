import { describe, expect, it } from 'vitest';
import { planCgroups } from './cgroup-plan.js';

// This machine's layout: v1 controllers, an empty cgroup2 beside them.
const HYBRID_MOUNTS = [
  'tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0',
  'cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0',
  'cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0',
  'cgroup /sys/fs/cgroup/pids cgroup rw,relatime,pids 0 0',
  'cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0',
].join('\n');
const HYBRID_SELF = '8:pids:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n';
const V2_MOUNTS = 'cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0\n';

const files = (entries: Record<string, string>) => (file: string) => entries[file];

describe('planCgroups', () => {
  it('uses v1 when cgroup2 offers no controllers, with the service group of each controller', () => {
    const plan = planCgroups(HYBRID_MOUNTS, HYBRID_SELF, files({ '/sys/fs/cgroup/unified/cgroup.controllers': '' }));
    expect(plan).toEqual({
      version: 'v1',
      self: { memory: '/sys/fs/cgroup/memory/process_api/abc', pids: '/sys/fs/cgroup/pids', cpu: '/sys/fs/cgroup/cpu' },
    });
  });

  it('uses v2 when the service group is offered memory and pids, noting whether cpu is there too', () => {
    const self = '0::/system.slice/cca.service\n';
    const read = files({ '/sys/fs/cgroup/system.slice/cca.service/cgroup.controllers': 'cpuset cpu io memory pids\n' });
    expect(planCgroups(V2_MOUNTS, self, read)).toEqual({
      version: 'v2',
      mount: '/sys/fs/cgroup',
      self: '/sys/fs/cgroup/system.slice/cca.service',
      cpu: true,
    });
    const noCpu = files({ '/sys/fs/cgroup/cgroup.controllers': 'memory pids' });
    expect(planCgroups(V2_MOUNTS, '0::/\n', noCpu)).toEqual({ version: 'v2', mount: '/sys/fs/cgroup', self: '/sys/fs/cgroup', cpu: false });
  });

  it('prefers v2 when both offer the controllers, and takes v1 cpu only when it is mounted', () => {
    const read = files({ '/sys/fs/cgroup/unified/cgroup.controllers': 'memory pids' });
    expect(planCgroups(HYBRID_MOUNTS, HYBRID_SELF, read).version).toBe('v2');
    const noCpu = HYBRID_MOUNTS.split('\n')
      .filter((l) => !l.includes('/cpu '))
      .join('\n');
    expect(planCgroups(noCpu, HYBRID_SELF, files({}))).toEqual({
      version: 'v1',
      self: { memory: '/sys/fs/cgroup/memory/process_api/abc', pids: '/sys/fs/cgroup/pids' },
    });
  });

  it('decodes escaped mount points and co-mounted v1 controllers', () => {
    const mounts = 'cgroup /sys/fs/cgroup/mem\\040ory cgroup rw,memory 0 0\ncgroup /sys/fs/cgroup/cpu,pids cgroup rw,cpu,pids 0 0\n';
    expect(planCgroups(mounts, '3:cpu,pids:/a\n2:memory:/b\n', files({}))).toEqual({
      version: 'v1',
      self: { memory: '/sys/fs/cgroup/mem ory/b', pids: '/sys/fs/cgroup/cpu,pids/a', cpu: '/sys/fs/cgroup/cpu,pids/a' },
    });
  });

  it('says why none is usable: v2 without the controllers and no v1 memory or pids', () => {
    const mounts = 'cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\ncgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n';
    const plan = planCgroups(mounts, '1:cpu:/\n0::/\n', files({ '/sys/fs/cgroup/unified/cgroup.controllers': 'cpu io' }));
    expect(plan).toEqual({
      version: 'none',
      reason: 'no cgroup hierarchy offers memory and pids (cgroup2 at /sys/fs/cgroup/unified offers cpu io; no v1 memory and pids mount)',
    });
    expect(planCgroups('', '', files({}))).toEqual({
      version: 'none',
      reason: 'no cgroup hierarchy offers memory and pids (no cgroup2 mount; no v1 memory and pids mount)',
    });
  });
});
