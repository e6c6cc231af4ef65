/**
 * The cgroup of one run: its limits written at creation, bwrap's pid added before bwrap forks,
 * its counters read while it runs, and the group emptied and removed after it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RunResources } from '../config/index.js';
import { parseKeyedCounts } from './keyed-counts.js';
import type { CgroupCounts } from './limit-hit.js';

const MiB = 2 ** 20;
const CPU_PERIOD_US = 100_000;

/** Where one run's group lives: one directory (v2) or one per controller (v1, cpu when mounted). */
export type RunCgroupDirs = { version: 'v2'; dir: string; cpu: boolean } | { version: 'v1'; memory: string; pids: string; cpu?: string };

/** One run's group in every hierarchy it needs. */
export class RunCgroup {
  /** Every directory of the group, each once (v1 controllers may share a mount). */
  readonly dirs: string[];

  private constructor(private readonly where: RunCgroupDirs) {
    this.dirs = where.version === 'v2' ? [where.dir] : [...new Set([where.memory, where.pids, where.cpu].filter((d) => d !== undefined))];
  }

  /**
   * Creates the group and writes its limits; throws (after removing what it made) if the kernel refuses.
   * @example const group = RunCgroup.create({ version: 'v1', memory, pids, cpu }, config.runResources)
   */
  static create(where: RunCgroupDirs, resources: RunResources): RunCgroup {
    const group = new RunCgroup(where);
    try {
      for (const dir of group.dirs) fs.mkdirSync(dir);
      group.writeLimits(resources);
    } catch (err) {
      for (const dir of group.dirs) rmdirQuietly(dir);
      throw err;
    }
    return group;
  }

  private writeLimits(r: RunResources): void {
    const memory = String(r.memoryMb * MiB);
    const quota = String(Math.max(1000, Math.round(r.cpus * CPU_PERIOD_US)));
    const w = this.where;
    if (w.version === 'v2') {
      write(w.dir, 'memory.max', memory);
      // No swap: the limit is on memory, not on memory that can be paged out.
      writeIfPresent(w.dir, 'memory.swap.max', '0');
      write(w.dir, 'pids.max', String(r.pids));
      if (w.cpu) write(w.dir, 'cpu.max', `${quota} ${CPU_PERIOD_US}`);
      return;
    }
    write(w.memory, 'memory.limit_in_bytes', memory);
    // memory+swap must not be below memory: written after it.
    writeIfPresent(w.memory, 'memory.memsw.limit_in_bytes', memory);
    write(w.pids, 'pids.max', String(r.pids));
    if (w.cpu !== undefined) {
      write(w.cpu, 'cpu.cfs_period_us', String(CPU_PERIOD_US));
      write(w.cpu, 'cpu.cfs_quota_us', quota);
    }
  }

  /**
   * Gives the group a tiny share of the CPU while `background` (a warm agent starting: it gets only
   * what runs leave idle), or the kernel's default share again. Nothing without the cpu controller.
   */
  setBackground(background: boolean): void {
    const w = this.where;
    if (w.version === 'v2') {
      if (w.cpu) writeIfPresent(w.dir, 'cpu.weight', background ? '1' : '100');
      return;
    }
    if (w.cpu !== undefined) writeIfPresent(w.cpu, 'cpu.shares', background ? '2' : '1024');
  }

  /** Moves a process (and so all it will fork) into the group; synchronous, for the spawn hook. */
  join(pid: number): void {
    for (const dir of this.dirs) write(dir, 'cgroup.procs', String(pid));
  }

  /** What the kernel counted: OOM kills in the group, forks refused at its pids limit. */
  counts(): CgroupCounts {
    const w = this.where;
    const memoryDir = w.version === 'v2' ? w.dir : w.memory;
    const pidsDir = w.version === 'v2' ? w.dir : w.pids;
    // v2: memory.events; v1: memory.oom_control (kernels before 4.13 lack its oom_kill line).
    const memory = parseKeyedCounts(readOr(memoryDir, w.version === 'v2' ? 'memory.events' : 'memory.oom_control'));
    const pids = parseKeyedCounts(readOr(pidsDir, 'pids.events'));
    return { oomKills: memory.oom_kill ?? 0, pidsRefused: pids.max ?? 0 };
  }

  /** The pids in the group now. */
  members(): number[] {
    const pids = new Set<number>();
    for (const dir of this.dirs) {
      for (const line of readOr(dir, 'cgroup.procs').split('\n')) if (/^\d+$/.test(line)) pids.add(Number(line));
    }
    return [...pids];
  }

  /**
   * Kills whatever is left in the group and removes it; resolves false if it could not (still busy).
   * @example await group.destroy()
   */
  async destroy(): Promise<boolean> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const left = this.members();
      if (left.length === 0) break;
      // v2 (5.14+) kills the whole group at once, racing no fork; otherwise one by one, again until none is left.
      if (this.where.version !== 'v2' || !writeIfPresent(this.where.dir, 'cgroup.kill', '1')) {
        for (const pid of left) killQuietly(pid);
      }
      // A killed process is usually gone within a few milliseconds: look again soon, then less often.
      await sleep(attempt < 10 ? 2 : 20);
    }
    let removed = true;
    for (const dir of this.dirs) removed = (await removeDir(dir)) && removed;
    return removed;
  }
}

/** Removes an empty group, retrying while the kernel still reaps its last processes. */
export async function removeDir(dir: string): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      fs.rmdirSync(dir);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      if (code !== 'EBUSY') return false;
      await sleep(20);
    }
  }
  return false;
}

function write(dir: string, file: string, value: string): void {
  fs.writeFileSync(path.join(dir, file), value);
}

/** Writes a file the kernel may not have (swap accounting off, older kernels); false if it has not. */
function writeIfPresent(dir: string, file: string, value: string): boolean {
  if (!fs.existsSync(path.join(dir, file))) return false;
  write(dir, file, value);
  return true;
}

function readOr(dir: string, file: string): string {
  try {
    return fs.readFileSync(path.join(dir, file), 'utf8');
  } catch {
    return '';
  }
}

function rmdirQuietly(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // Not made, or not empty: nothing more to undo.
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
