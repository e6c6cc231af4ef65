/**
 * The parent and run groups: path logic and the files written, on a directory tree standing in for
 * cgroupfs; then the real thing on this machine's cgroups (skipped only where none is usable).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planCgroups } from './cgroup-plan.js';
import { Cgroups } from './cgroups.js';
import { detectLimits, describeLimits, limitsSummary } from './detect-limits.js';
import { openRunLimits } from './run-limits.js';

const resources = { memoryMb: 256, pids: 64, cpus: 0.5, diskMb: 20 };

describe('Cgroups on a stand-in tree', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-cgfake-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('v1: a cca-<pid> parent under the service group of each controller, removing those of dead services, and run groups with their limits', () => {
    for (const c of ['memory/svc', 'pids', 'cpu']) fs.mkdirSync(path.join(root, c), { recursive: true });
    fs.mkdirSync(path.join(root, 'pids/cca-999999999/run-old'), { recursive: true });
    fs.mkdirSync(path.join(root, 'pids/cca-1'), { recursive: true }); // pid 1 is alive: not ours to remove
    const mounts = ['memory', 'pids', 'cpu'].map((c) => `cgroup ${root}/${c} cgroup rw,${c} 0 0`).join('\n');
    const plan = planCgroups(mounts, '3:memory:/svc\n2:pids:/\n1:cpu:/\n', () => undefined);
    if (plan.version !== 'v1') throw new Error(`expected v1, got ${plan.version}`);
    const cgroups = Cgroups.open(plan, 'cca-42');
    expect(cgroups.dirs).toEqual([`${root}/memory/svc/cca-42`, `${root}/pids/cca-42`, `${root}/cpu/cca-42`]);
    expect(fs.existsSync(`${root}/pids/cca-999999999`)).toBe(false);
    expect(fs.existsSync(`${root}/pids/cca-1`)).toBe(true);

    const run = cgroups.createRun('run-abc', resources);
    const read = (f: string) => fs.readFileSync(path.join(root, f), 'utf8');
    expect(read('memory/svc/cca-42/run-abc/memory.limit_in_bytes')).toBe(String(256 * 2 ** 20));
    expect(read('pids/cca-42/run-abc/pids.max')).toBe('64');
    expect(read('cpu/cca-42/run-abc/cpu.cfs_quota_us')).toBe('50000');
    expect(read('cpu/cca-42/run-abc/cpu.cfs_period_us')).toBe('100000');
    // No swap accounting in this kernel (no memsw file): nothing written for it.
    expect(fs.existsSync(`${root}/memory/svc/cca-42/run-abc/memory.memsw.limit_in_bytes`)).toBe(false);
    run.join(4242);
    expect(read('pids/cca-42/run-abc/cgroup.procs')).toBe('4242');
    expect(() => cgroups.createRun('../escape', resources)).toThrow(/Not a cgroup name/);
  });

  it('v2: a sibling of the service group, controllers handed down to it and to its runs', () => {
    const svc = path.join(root, 'system.slice/cca.service');
    fs.mkdirSync(svc, { recursive: true });
    fs.writeFileSync(path.join(root, 'system.slice/cgroup.subtree_control'), 'memory pids cpu\n');
    fs.writeFileSync(path.join(svc, 'cgroup.controllers'), 'cpu memory pids\n');
    const plan = planCgroups(`cgroup2 ${root} cgroup2 rw 0 0`, '0::/system.slice/cca.service', (f) =>
      fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined,
    );
    expect(plan).toEqual({ version: 'v2', mount: root, self: svc, cpu: true });
    // A real cgroupfs makes this file in every new group; here the parent gets one by hand.
    fs.mkdirSync(path.join(root, 'system.slice/cca-7'));
    fs.writeFileSync(path.join(root, 'system.slice/cca-7/cgroup.subtree_control'), '');
    if (plan.version !== 'v2') return;
    const cgroups = Cgroups.open(plan, 'cca-7');
    expect(cgroups.dirs).toEqual([path.join(root, 'system.slice/cca-7')]);
    expect(fs.readFileSync(path.join(root, 'system.slice/cca-7/cgroup.subtree_control'), 'utf8')).toBe('+memory +pids +cpu');
    cgroups.createRun('run-1', resources);
    const read = (f: string) => fs.readFileSync(path.join(root, 'system.slice/cca-7/run-1', f), 'utf8');
    expect([read('memory.max'), read('pids.max'), read('cpu.max')]).toEqual([String(256 * 2 ** 20), '64', '50000 100000']);
  });

  it('v2 at the top of a namespaced hierarchy: refuses when it shares the group with other processes', () => {
    fs.writeFileSync(path.join(root, 'cgroup.procs'), `1\n${process.pid}\n`);
    expect(() => Cgroups.open({ version: 'v2', mount: root, self: root, cpu: false }, 'cca-9')).toThrow(
      /shares its cgroup .* with other processes \(1\).*Delegate=yes/,
    );
  });
});

const support =
  process.platform === 'linux' ? detectLimits({ runUser: { uid: 65534, gid: 65534 }, groupName: `cca-test-${process.pid}` }) : undefined;
const cgroupsHere = support?.cgroups !== undefined;
if (!cgroupsHere) console.warn(`cgroup tests skipped: ${support?.cgroupNote ?? 'not Linux'}`);

describe.skipIf(!cgroupsHere)("run limits on this machine's cgroups", () => {
  let dir: string;
  afterAll(async () => {
    expect(await support?.cgroups?.close()).toBe(true);
    for (const d of support?.cgroups?.dirs ?? []) expect(fs.existsSync(d)).toBe(false);
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-runlim-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs `script` in the run's group the way the spawn hook does: joined before it does anything. */
  async function inGroup(name: string, script: string, extra: Partial<Parameters<typeof openRunLimits>[1]> = {}) {
    const hits: string[] = [];
    const limits = await openRunLimits(support!, {
      name,
      resources,
      dirs: [dir],
      maxEntries: 1000,
      countersMs: 100,
      diskMs: 200,
      onHit: (h) => hits.push(h.stopReason),
      ...extra,
    });
    const child = spawn('/bin/sh', ['-c', `read go; ${script}`], { stdio: ['pipe', 'ignore', 'ignore'] });
    limits.confine.onSpawned(child.pid as number);
    child.stdin.end('go\n');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? -1 : null))));
    await new Promise((r) => setTimeout(r, 300));
    const hit = await limits.close();
    return { hits, hit, code };
  }

  it('says which version it uses, at start-up and in a summary', () => {
    expect(describeLimits(support!, resources)).toMatch(
      /limits: {3}per run 256 MB memory, 64 processes, 0.5 CPU, 20 MB disk; cgroup v[12] \(/,
    );
    expect(limitsSummary(support!).cgroup).toMatch(/^v[12]$/);
  });

  it('refuses forks past the pids limit and reports process_limit; the group is removed after', async () => {
    const { hits, hit } = await inGroup('run-forks', 'for i in $(seq 100); do sleep 3 & done; wait');
    expect(hit?.stopReason).toBe('process_limit');
    expect(hits).toEqual(['process_limit']);
    for (const d of support!.cgroups!.dirs) expect(fs.existsSync(path.join(d, 'run-forks'))).toBe(false);
  });

  it('OOM-kills a process past the memory limit and reports memory_limit', async () => {
    const { hit, code } = await inGroup('run-memory', 'python3 -c "a = bytearray(400 * 2**20); print(len(a))"');
    expect(code).not.toBe(0);
    expect(hit?.stopReason).toBe('memory_limit');
  });

  it('reports nothing for a run within its limits, and kills what it left behind', async () => {
    const pidFile = path.join(dir, 'bg.pid');
    const { hit, code } = await inGroup('run-calm', `sleep 60 & echo $! > ${pidFile}; python3 -c "a = bytearray(50 * 2**20)"`);
    expect(code).toBe(0);
    expect(hit).toBeUndefined();
    // Killed: gone, or a zombie until whoever inherited it reaps it.
    const bg = Number(fs.readFileSync(pidFile, 'utf8'));
    const state = fs.existsSync(`/proc/${bg}/stat`) ? fs.readFileSync(`/proc/${bg}/stat`, 'utf8').split(') ')[1]?.[0] : 'gone';
    expect(['gone', 'Z']).toContain(state);
  });

  it('reports disk_limit when the directories hold more than the disk limit', async () => {
    const { hits, hit } = await inGroup('run-disk', `for i in 1 2 3 4 5; do head -c 5000000 /dev/zero > ${dir}/f$i; done; sleep 1`);
    expect(hits).toEqual(['disk_limit']);
    expect(hit?.message).toContain('disk limit of 20 MB');
  });
});
