/**
 * Which cgroup hierarchy can limit runs here, worked out from /proc/self/mounts, /proc/self/cgroup
 * and the controllers the service's own v2 group offers. Pure: the files are read by the caller.
 */
import path from 'node:path';

/** The controllers a run's group needs (cpu is used when there, not required). */
const REQUIRED = ['memory', 'pids'] as const;

/**
 * `v2`: the unified hierarchy at `mount`, the service's own group at `self` (absolute paths).
 * `v1`: the service's own group in each controller's hierarchy (cpu when mounted).
 */
export type CgroupPlan =
  | { version: 'v2'; mount: string; self: string; cpu: boolean }
  | { version: 'v1'; self: { memory: string; pids: string; cpu?: string } }
  | { version: 'none'; reason: string };

interface Mount {
  point: string;
  type: string;
  options: string[];
}

/**
 * The plan: v2 when its hierarchy offers memory and pids to the service's group, else v1 when
 * memory and pids are mounted as v1 controllers, else none (with why).
 * @example planCgroups(readFile('/proc/self/mounts'), readFile('/proc/self/cgroup'), (p) => readFileOrUndefined(p))
 */
export function planCgroups(mounts: string, selfCgroup: string, read: (file: string) => string | undefined): CgroupPlan {
  const table = parseMounts(mounts);
  const groups = parseSelfCgroup(selfCgroup);
  const unified = table.find((m) => m.type === 'cgroup2');
  const v2Path = groups.get('');
  let v2Note = 'no cgroup2 mount';
  if (unified !== undefined && v2Path !== undefined) {
    const self = under(unified.point, v2Path);
    const offered = (read(path.join(self, 'cgroup.controllers')) ?? '').split(/\s+/).filter(Boolean);
    if (REQUIRED.every((c) => offered.includes(c))) return { version: 'v2', mount: unified.point, self, cpu: offered.includes('cpu') };
    v2Note = `cgroup2 at ${unified.point} offers ${offered.length > 0 ? offered.join(' ') : 'no controllers'}`;
  }
  const v1 = (controller: string): string | undefined => {
    const mount = table.find((m) => m.type === 'cgroup' && m.options.includes(controller));
    const own = groups.get(controller);
    return mount === undefined || own === undefined ? undefined : under(mount.point, own);
  };
  const memory = v1('memory');
  const pids = v1('pids');
  if (memory !== undefined && pids !== undefined) {
    const cpu = v1('cpu');
    return { version: 'v1', self: { memory, pids, ...(cpu !== undefined ? { cpu } : {}) } };
  }
  const missing = REQUIRED.filter((c) => v1(c) === undefined).join(' and ');
  return { version: 'none', reason: `no cgroup hierarchy offers memory and pids (${v2Note}; no v1 ${missing} mount)` };
}

/** Mount lines: device, mount point (octal escapes decoded), type, options. */
function parseMounts(text: string): Mount[] {
  return text
    .split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => fields.length >= 4)
    .map(([, point, type, options]) => ({
      point: (point ?? '').replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))),
      type: type ?? '',
      options: (options ?? '').split(','),
    }));
}

/** `hierarchy-id:controllers:path` lines, by controller ('' for the v2 line `0::/path`). */
function parseSelfCgroup(text: string): Map<string, string> {
  const groups = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(\/.*)$/.exec(line.trim());
    if (match === null) continue;
    const [, id, controllers = '', where = '/'] = match;
    if (id === '0' && controllers === '') groups.set('', where);
    for (const c of controllers.split(',').filter(Boolean)) groups.set(c, where);
  }
  return groups;
}

/** A group's directory: the hierarchy's mount point joined with the group's path, no trailing slash. */
function under(mount: string, group: string): string {
  return path.join(mount, group).replace(/(.)\/$/, '$1');
}
