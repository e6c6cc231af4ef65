/**
 * Phase 2: C sessions in flight through `POST /invocations`, with the memory of the whole process
 * tree (service + Claude Code children) sampled from /proc while they run.
 */
import { performance } from 'node:perf_hooks';
import type { TestService } from '../test/support/service.js';
import { startRssSampler, treeRss } from './process-tree.js';
import { round, summarize, type Summary } from './stats.js';
import { runService, type Sample } from './task.js';

export interface ConcurrencyResult {
  concurrency: number;
  invocations: number;
  errors: number;
  wall_s: number;
  throughput_per_s: number;
  latency_ms: Summary | undefined;
  memory: {
    baseline_mb: number;
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
 * `idleProcesses` is the tree's size before any run (tsx keeps an esbuild child, for one).
 */
export async function measureConcurrency(svc: TestService, concurrency: number, idleProcesses: number): Promise<ConcurrencyResult> {
  const total = Math.max(concurrency * 2, 8);
  const baseline = await idleBaseline(idleProcesses);
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
  return {
    concurrency,
    invocations: total,
    errors: total - ok.length,
    wall_s: round(wallMs / 1000, 2),
    throughput_per_s: round(ok.length / (wallMs / 1000), 2),
    latency_ms: summarize(ok.map((x) => x.ms)),
    memory: {
      baseline_mb: round(baseline / MB),
      peak_mb: round(mem.peakBytes / MB),
      peak_per_session_mb: round(Math.max(0, mem.peakBytes - baseline) / MB / concurrency),
      peak_processes: mem.peakProcesses,
      samples: mem.samples,
    },
    first_errors: samples.flatMap((x) => (x.error ? [x.error] : [])).slice(0, 5),
  };
}

/**
 * The tree's memory at rest: wait until the last phase's Claude Code children are gone (at most
 * 10 s), then average a few samples so one GC does not set the baseline.
 */
async function idleBaseline(idleProcesses: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (treeRss().processes > idleProcesses && Date.now() < deadline) await sleep(100);
  let sum = 0;
  for (let i = 0; i < 5; i++) {
    sum += treeRss().bytes;
    await sleep(100);
  }
  return sum / 5;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
