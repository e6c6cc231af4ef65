/**
 * Phase 1: the same task through bare `query()` and through `POST /invocations`, interleaved so
 * that drift (page cache, CPU frequency, other load) hits both sides alike.
 */
import type { TestService } from '../test/support/service.js';
import { round, summarize, type Summary } from './stats.js';
import { runBare, runService, type Sample } from './task.js';

export interface Side {
  latency_ms: Summary | undefined;
  errors: number;
  samples_ms: number[];
}

export interface OverheadResult {
  runs: number;
  warmup: number;
  bare: Side;
  service: Side;
  /** service / bare; undefined when a side had no successful run. */
  ratio: { p50: number; p95: number } | undefined;
  first_errors: string[];
}

/** Runs `warmup` then `runs` pairs (bare, service, bare, service, ...). */
export async function measureOverhead(
  svc: TestService,
  opts: { runs: number; warmup: number; progress: (line: string) => void },
): Promise<OverheadResult> {
  for (let i = 0; i < opts.warmup; i++) {
    await runBare(svc.model.url);
    await runService(svc);
  }
  const bare: Sample[] = [];
  const service: Sample[] = [];
  for (let i = 0; i < opts.runs; i++) {
    bare.push(await runBare(svc.model.url));
    service.push(await runService(svc));
    opts.progress(`  overhead ${i + 1}/${opts.runs}: bare ${fmt(bare.at(-1))}, service ${fmt(service.at(-1))}`);
  }
  const b = side(bare);
  const s = side(service);
  const ratio =
    b.latency_ms && s.latency_ms
      ? { p50: round(s.latency_ms.p50 / b.latency_ms.p50, 2), p95: round(s.latency_ms.p95 / b.latency_ms.p95, 2) }
      : undefined;
  const first_errors = [...bare, ...service].flatMap((x) => (x.error ? [x.error] : [])).slice(0, 5);
  return { runs: opts.runs, warmup: opts.warmup, bare: b, service: s, ratio, first_errors };
}

// Latency statistics cover successful runs only: a failed run's time says nothing about the task.
function side(samples: Sample[]): Side {
  const ok = samples.filter((x) => x.ok).map((x) => x.ms);
  return { latency_ms: summarize(ok), errors: samples.length - ok.length, samples_ms: samples.map((x) => round(x.ms)) };
}

function fmt(x: Sample | undefined): string {
  return x === undefined ? '-' : `${Math.round(x.ms)} ms${x.ok ? '' : ' (error)'}`;
}
