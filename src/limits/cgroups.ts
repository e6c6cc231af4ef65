/**
 * The service's parent group, `cca-<pid>`, and a child per run in it. v1: a child of the service's
 * own group in each hierarchy (v1 has no rule against processes beside groups). v2: a sibling of
 * the service's own group, because a v2 group with processes cannot hand controllers to children
 * (the "no internal processes" rule); the parent gets no process of its own, only run groups.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isProcessAlive, type RunResources } from '../config/index.js';
import type { CgroupPlan } from './cgroup-plan.js';
import { removeDir, RunCgroup, type RunCgroupDirs } from './run-cgroup.js';

type UsablePlan = Exclude<CgroupPlan, { version: 'none' }>;

/** The parent group of this service's runs. */
export class Cgroups {
  private constructor(
    readonly version: 'v1' | 'v2',
    private readonly parent: RunCgroupDirs,
  ) {}

  /**
   * Makes the parent group `name` (removing groups left by services that died: `cca-<dead pid>`);
   * throws with the kernel's error when it cannot.
   * @example const cgroups = Cgroups.open(plan, `cca-${process.pid}`)
   */
  static open(plan: UsablePlan, name: string, pid: number = process.pid): Cgroups {
    const parent = plan.version === 'v2' ? openV2(plan, name, pid) : openV1(plan, name);
    return new Cgroups(plan.version, parent);
  }

  /** Where the parent is (one directory per hierarchy). */
  get dirs(): string[] {
    const p = this.parent;
    return p.version === 'v2' ? [p.dir] : [...new Set([p.memory, p.pids, p.cpu].filter((d) => d !== undefined))];
  }

  /**
   * A group for one run with its limits written.
   * @example const group = cgroups.createRun(`run-${invocationId}`, resources)
   */
  createRun(name: string, resources: RunResources): RunCgroup {
    if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) throw new Error(`Not a cgroup name: ${name}`);
    const p = this.parent;
    const child: RunCgroupDirs =
      p.version === 'v2'
        ? { version: 'v2', dir: path.join(p.dir, name), cpu: p.cpu }
        : {
            version: 'v1',
            memory: path.join(p.memory, name),
            pids: path.join(p.pids, name),
            ...(p.cpu !== undefined ? { cpu: path.join(p.cpu, name) } : {}),
          };
    return RunCgroup.create(child, resources);
  }

  /** Removes the parent (its run groups are gone by then); false if the kernel kept it. */
  async close(): Promise<boolean> {
    let removed = true;
    for (const dir of this.dirs) removed = (await removeDir(dir)) && removed;
    return removed;
  }
}

function openV1(plan: Extract<UsablePlan, { version: 'v1' }>, name: string): RunCgroupDirs {
  const { memory, pids, cpu } = plan.self;
  for (const base of new Set([memory, pids, cpu].filter((d) => d !== undefined))) {
    removeStale(base);
    fs.mkdirSync(path.join(base, name), { recursive: true });
  }
  return { version: 'v1', memory: path.join(memory, name), pids: path.join(pids, name), ...(cpu ? { cpu: path.join(cpu, name) } : {}) };
}

function openV2(plan: Extract<UsablePlan, { version: 'v2' }>, name: string, pid: number): RunCgroupDirs {
  const controllers = plan.cpu ? ['memory', 'pids', 'cpu'] : ['memory', 'pids'];
  let base = plan.self === plan.mount ? plan.mount : path.dirname(plan.self);
  if (base === plan.self) {
    // The service sits at the top of its (namespaced) hierarchy, as in a container: alone there, it
    // moves into a leaf of its own so the top can hand controllers down; otherwise it cannot.
    const others = readProcs(plan.self).filter((p) => p !== pid);
    if (others.length > 0) {
      throw new Error(
        `the service shares its cgroup ${plan.self} with other processes (${others.slice(0, 5).join(', ')}), and a v2 group with processes cannot give controllers to run groups; run the service in a cgroup of its own (systemd: Delegate=yes)`,
      );
    }
    const leaf = path.join(plan.self, 'cca-service');
    fs.mkdirSync(leaf, { recursive: true });
    fs.writeFileSync(path.join(leaf, 'cgroup.procs'), String(pid));
    base = plan.self;
  }
  removeStale(base);
  enable(base, controllers);
  const dir = path.join(base, name);
  fs.mkdirSync(dir, { recursive: true });
  enable(dir, controllers);
  return { version: 'v2', dir, cpu: plan.cpu };
}

/** Hands `controllers` to the children of `dir` unless they already have them. */
function enable(dir: string, controllers: string[]): void {
  const on = fs.readFileSync(path.join(dir, 'cgroup.subtree_control'), 'utf8').split(/\s+/);
  const missing = controllers.filter((c) => !on.includes(c));
  if (missing.length > 0) fs.writeFileSync(path.join(dir, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '));
}

/** Removes `cca-<pid>[-<n>]` groups of services that are no longer running, and their run groups. */
function removeStale(base: string): void {
  for (const entry of fs.readdirSync(base, { withFileTypes: true })) {
    const match = /^cca-(\d+)(?:-\d+)?$/.exec(entry.name);
    if (!entry.isDirectory() || match === null || isProcessAlive(Number(match[1]))) continue;
    const stale = path.join(base, entry.name);
    for (const run of fs.readdirSync(stale, { withFileTypes: true })) {
      if (!run.isDirectory()) continue;
      for (const p of readProcs(path.join(stale, run.name))) killQuietly(p);
      rmdirQuietly(path.join(stale, run.name));
    }
    rmdirQuietly(stale);
  }
}

function readProcs(dir: string): number[] {
  try {
    return fs
      .readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter((l) => /^\d+$/.test(l))
      .map(Number);
  } catch {
    return [];
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

function rmdirQuietly(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // Busy still: the next start tries again.
  }
}
