/**
 * Phase 2: C sessions in flight through `POST /invocations`, with the memory of the whole process
 * tree (service + Claude Code children) sampled from /proc while they run; through the service
 * cold and through a second service with a warm pool.
 */
import { performance } from 'node:perf_hooks';
import type { TestService } from '../test/support/service.js';
import { startRssSampler, treeRss } from './process-tree.js';
import { round, summarize, type Summary } from './stats.js';
import { runService, type Sample } from './task.js';
import { poolOf, readyForBench, spareProcesses, waitForPool, waitForSettled, type Pool } from './warm.js';

export interface ConcurrencyResult {
  concurrency: number;
  /** cold: no warm pool; warm: the service with CCA_WARM_POOL=auto, its pool primed. */
  side?: 'cold' | 'warm';
  /** Invocations a warm agent served (`metadata.warm_start`), and their share of all. */
  hits?: number;
  hit_rate?: number | undefined;
  /** Warm side: spares of the task's shape ready when the measured burst began, and whether the pool was idle and full. */
  ready_at_start?: number;
  pool_full?: boolean;
  invocations: number;
  errors: number;
  wall_s: number;
  throughput_per_s: number;
  latency_ms: Summary | undefined;
  memory: {
    baseline_mb: number;
    /** Processes of the tree at rest, and how many of them were the warm service's ready agents' trees. */
    baseline_processes: number;
    warm_agent_processes: number;
    /** RSS of the ready warm agents' trees at rest (part of baseline_mb). */
    warm_agents_mb: number;
    peak_mb: number;
    /** (peak - baseline) / concurrency. */
    peak_per_session_mb: number;
    peak_processes: number;
    samples: number;
  };
  first_errors: string[];
}

const MB = 1024 * 1024;

/**
 * Runs max(2C, 8) invocations with C in flight; each a new session doing the bench task.
 * `idleProcesses` is the tree's size before any run (tsx keeps an esbuild child, for one);
 * `warmPool` the other service's pool, whose ready agents are part of the tree at rest.
 */
export async function measureConcurrency(
  svc: TestService,
  concurrency: number,
  idleProcesses: number,
  warmPool?: Pool | undefined,
): Promise<ConcurrencyResult> {
  const total = Math.max(concurrency * 2, 8);
  // The warm service's refill must not run next to the measured burst, nor count in its memory.
  if (warmPool !== undefined) await waitForSettled(warmPool, 60_000);
  const warmProcesses = spareProcesses(warmPool);
  const baseline = await idleBaseline(idleProcesses + warmProcesses);
  const baselineProcesses = treeRss().processes;
  const warmAgentsBytes = (warmPool?.readySpares() ?? []).reduce((s, a) => s + (a.pid === undefined ? 0 : treeRss(a.pid).bytes), 0);
  const sampler = startRssSampler(100);
  const samples: Sample[] = [];
  let started = 0;
  const t0 = performance.now();
  // C workers each take the next invocation as soon as their last one answers: C stay in flight.
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < total) {
        started++;
        samples.push(await runService(svc));
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const mem = sampler.stop();
  const ok = samples.filter((x) => x.ok);
  const hits = samples.filter((x) => x.warm === true).length;
  return {
    concurrency,
    side: 'cold',
    hits,
    hit_rate: round(hits / total, 2),
    invocations: total,
    errors: total - ok.length,
    wall_s: round(wallMs / 1000, 2),
    throughput_per_s: round(ok.length / (wallMs / 1000), 2),
    latency_ms: summarize(ok.map((x) => x.ms)),
    memory: {
      baseline_mb: round(baseline / MB),
      baseline_processes: baselineProcesses,
      warm_agent_processes: warmProcesses,
      warm_agents_mb: round(warmAgentsBytes / MB),
      peak_mb: round(mem.peakBytes / MB),
      peak_per_session_mb: round(Math.max(0, mem.peakBytes - baseline) / MB / concurrency),
      peak_processes: mem.peakProcesses,
      samples: mem.samples,
    },
    first_errors: samples.flatMap((x) => (x.error ? [x.error] : [])).slice(0, 5),
  };
}

/**
 * The same through the service with a warm pool: first one unmeasured burst of C requests of the
 * task's shape, so the pool learns the demand, then a wait (at most 60 s) until the pool is idle
 * and full (none starting, min(max - 1, C) of the shape ready: the default shape keeps one), then the measured burst; after it, a
 * wait for the refill to end so that the next phase does not run next to it. The idle baseline
 * includes the ready agents.
 */
export async function measureWarmConcurrency(
  warmSvc: TestService,
  concurrency: number,
  idleProcesses: number,
  progress: (line: string) => void,
): Promise<ConcurrencyResult> {
  const pool = poolOf(warmSvc);
  // The shape of every default keeps one agent of the pool's max; the task's shape (its own tools) gets the rest.
  const want = Math.min(pool.stats().max - 1, concurrency);
  await Promise.all(Array.from({ length: concurrency }, () => runService(warmSvc)));
  const full = await waitForPool(pool, want, 60_000);
  const ready = readyForBench(pool);
  progress(
    `  warm pool ${full ? 'full' : 'NOT full after 60 s'}: ${ready} of the task's shape ready (${want} wanted), ${pool.stats().ready} in all`,
  );
  const result = await measureConcurrency(warmSvc, concurrency, idleProcesses, pool);
  await waitForSettled(pool, 60_000);
  return { ...result, side: 'warm', ready_at_start: ready, pool_full: full };
}

/**
 * The tree's memory at rest: wait until the last phase's Claude Code children are gone (at most
 * 10 s), then average a few samples so one GC does not set the baseline.
 */
async function idleBaseline(restingProcesses: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (treeRss().processes > restingProcesses && Date.now() < deadline) await sleep(100);
  let sum = 0;
  for (let i = 0; i < 5; i++) {
    sum += treeRss().bytes;
    await sleep(100);
  }
  return sum / 5;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
