/**
 * The service with a warm pool: waiting for its pool to be ready for the bench task's shape, and
 * the memory an idle warm agent holds (phase "memory").
 */
import fs from 'node:fs';
import type { WarmAgent } from '../src/runtime/index.js';
import type { WarmPool } from '../src/warm/index.js';
import type { TestService } from '../test/support/service.js';
import { processTree } from './process-tree.js';
import { round } from './stats.js';
import { runService, TOOLS } from './task.js';

export type Pool = WarmPool<WarmAgent>;

/** The warm service's pool; throws when it is off (no sandbox, no model, or CCA_WARM_POOL off). */
export function poolOf(svc: TestService): Pool {
  const pool = svc.runtime.warm;
  if (pool === undefined) throw new Error('the warm service has no warm pool (CCA_WARM_POOL=auto gave none here)');
  return pool;
}

const BENCH_TOOLS = [...TOOLS].sort().join(',');

/** A spare started for the bench task's requests (its tools, no allowlist). */
export function isBenchShape(spare: WarmAgent): boolean {
  return [...spare.shape.tools].sort().join(',') === BENCH_TOOLS && spare.shape.egress === undefined;
}

/** Ready spares of the bench task's shape. */
export const readyForBench = (pool: Pool) => pool.readySpares().filter(isBenchShape).length;

/**
 * Waits (polling every 50 ms, at most `timeoutMs`) until at least `benchReady` spares of the bench
 * shape are ready and the pool has settled (see waitForSettled); whether that happened in time.
 */
export async function waitForPool(pool: Pool, benchReady: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (readyForBench(pool) < benchReady) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return waitForSettled(pool, Math.max(0, deadline - Date.now()));
}

/**
 * Waits (at most `timeoutMs`) until no spare has been starting for SETTLED_MS in a row: the pool
 * starts one spare at a time and the next one only at its next look (every second), so a moment
 * with none starting does not mean the refill has ended.
 */
export async function waitForSettled(pool: Pool, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let quietSince = Date.now();
  for (;;) {
    if (pool.stats().starting > 0) quietSince = Date.now();
    else if (Date.now() - quietSince >= SETTLED_MS) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

/** Longer than the pool's look at its sizes (tickMs, 1 s). */
const SETTLED_MS = 1500;

/** Processes of all ready spares' trees (bwrap, setpriv, the bridge's node, claude, ...). */
export function spareProcesses(pool: Pool | undefined): number {
  if (pool === undefined) return 0;
  return pool.readySpares().reduce((n, s) => n + (s.pid === undefined ? 0 : processTree(s.pid).length), 0);
}

export interface WarmMemoryResult {
  /** Ready agents measured. */
  agents: number;
  /** The pool's most agents (auto: from cores, memory and run slots). */
  max: number;
  /** Whether the pool was full (ready = max, none starting) when measured. */
  full: boolean;
  /** Mean over agents of the sum over its process tree. */
  rss_mb: number;
  pss_mb: number;
  processes: number;
  /** CPU time per agent (its whole tree) per second of idleness, over IDLE_CPU_MS, in ms/s. */
  idle_cpu_ms_per_s: number;
  /** Mean per agent by process name (comm). */
  by_process: { name: string; count: number; rss_mb: number; pss_mb: number }[];
}

const KB_PER_MB = 1024;

/**
 * Fills the pool (one unmeasured burst of `max` bench requests at once, so demand calls for every
 * slot), waits until it is idle and full (at most 60 s), then sums VmRSS and Pss over the process
 * tree of every ready agent.
 */
export async function measureWarmMemory(svc: TestService, progress: (line: string) => void): Promise<WarmMemoryResult> {
  const pool = poolOf(svc);
  const max = pool.stats().max;
  if (readyForBench(pool) < max) {
    progress(`  memory: a burst of ${max} to fill the pool`);
    await Promise.all(Array.from({ length: max }, () => runService(svc)));
  }
  const deadline = Date.now() + 60_000;
  while (!(pool.stats().starting === 0 && pool.stats().ready >= max) && Date.now() < deadline) await sleep(50);
  // Let the agents finish what they do right after start (their first writes, a GC).
  await sleep(1000);
  const stats = pool.stats();
  const spares = pool.readySpares().filter((s) => s.pid !== undefined);
  const pids = spares.map((s) => s.pid as number);
  const cpuBefore = pids.map(treeCpuMs);
  const t0 = Date.now();
  await sleep(IDLE_CPU_MS);
  const elapsedS = (Date.now() - t0) / 1000;
  const cpuAfter = pids.map(treeCpuMs);
  const idleCpu = pids.length === 0 ? 0 : cpuAfter.reduce((s, v, i) => s + v - (cpuBefore[i] ?? 0), 0) / pids.length / elapsedS;
  const perAgent = pids.map(treeMemory);
  const names = new Map<string, { count: number; rss: number; pss: number }>();
  for (const agent of perAgent) {
    for (const p of agent) {
      const e = names.get(p.name) ?? { count: 0, rss: 0, pss: 0 };
      e.count++;
      e.rss += p.rssKb;
      e.pss += p.pssKb;
      names.set(p.name, e);
    }
  }
  const n = Math.max(1, perAgent.length);
  const mean = (f: (p: ProcMemory) => number) => round(perAgent.reduce((s, a) => s + a.reduce((t, p) => t + f(p), 0), 0) / n / KB_PER_MB);
  return {
    agents: perAgent.length,
    max,
    full: stats.starting === 0 && stats.ready >= max,
    rss_mb: mean((p) => p.rssKb),
    pss_mb: mean((p) => p.pssKb),
    processes: round(perAgent.reduce((s, a) => s + a.length, 0) / n, 1),
    idle_cpu_ms_per_s: round(idleCpu, 1),
    by_process: [...names].map(([name, e]) => ({
      name,
      count: round(e.count / n, 1),
      rss_mb: round(e.rss / n / KB_PER_MB),
      pss_mb: round(e.pss / n / KB_PER_MB),
    })),
  };
}

/** How long the idle agents' CPU time is watched. */
const IDLE_CPU_MS = 5000;
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

/** utime + stime of `root` and its descendants, in ms (those that exit meanwhile drop out). */
function treeCpuMs(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Exited.
    }
  }
  return (ticks * 1000) / TICKS_PER_S;
}

interface ProcMemory {
  pid: number;
  name: string;
  rssKb: number;
  pssKb: number;
}

/** VmRSS and Pss (smaps_rollup) of `root` and every descendant; processes gone meanwhile are left out. */
function treeMemory(root: number): ProcMemory[] {
  return processTree(root).flatMap((pid) => {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
      const pss = /^Pss:\s+(\d+)\s+kB/m.exec(rollup);
      const name = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?';
      // Kernel threads and zombies have no VmRSS.
      if (!rss || !pss) return [];
      return [{ pid, name, rssKb: Number(rss[1]), pssKb: Number(pss[1]) }];
    } catch {
      return [];
    }
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
