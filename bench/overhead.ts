/**
 * Phase 1: the same task through bare `query()`, through the service as it was before tenant
 * isolation (the host's network, the model key in the run, no resource limits), through
 * `POST /invocations` of the service as it is (its own network namespace and proxy, the credential
 * broker, resource limits), and through it with an egress allowlist, interleaved so that drift
 * (page cache, CPU frequency, other load) hits every side alike.
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
  /** The service without isolation: shared network, no broker, no limits. */
  before: Side;
  service: Side;
  /** The service with `allowed_domains: []` (the model only). */
  allowlist: Side;
  /** service / bare; undefined when a side had no successful run. */
  ratio: { p50: number; p95: number } | undefined;
  /** allowlist / service; undefined when a side had no successful run. */
  allowlist_ratio: { p50: number; p95: number } | undefined;
  /** service / before: what isolation (broker, network, limits) costs per invocation. */
  isolation_ratio: { p50: number; p95: number } | undefined;
  first_errors: string[];
}

const ALLOWLIST = { allowed_domains: [] };

/** Runs `warmup` then `runs` rounds (bare, before, service, allowlist, bare, ...). */
export async function measureOverhead(
  svc: TestService,
  before: TestService,
  opts: { runs: number; warmup: number; progress: (line: string) => void },
): Promise<OverheadResult> {
  for (let i = 0; i < opts.warmup; i++) {
    await runBare(svc.model.url);
    await runService(before);
    await runService(svc);
    await runService(svc, ALLOWLIST);
  }
  const bare: Sample[] = [];
  const prior: Sample[] = [];
  const service: Sample[] = [];
  const allowlist: Sample[] = [];
  for (let i = 0; i < opts.runs; i++) {
    bare.push(await runBare(svc.model.url));
    prior.push(await runService(before));
    service.push(await runService(svc));
    allowlist.push(await runService(svc, ALLOWLIST));
    opts.progress(
      `  overhead ${i + 1}/${opts.runs}: bare ${fmt(bare.at(-1))}, before ${fmt(prior.at(-1))}, service ${fmt(service.at(-1))}, allowlist ${fmt(allowlist.at(-1))}`,
    );
  }
  const b = side(bare);
  const p = side(prior);
  const s = side(service);
  const a = side(allowlist);
  const first_errors = [...bare, ...prior, ...service, ...allowlist].flatMap((x) => (x.error ? [x.error] : [])).slice(0, 5);
  return {
    runs: opts.runs,
    warmup: opts.warmup,
    bare: b,
    before: p,
    service: s,
    allowlist: a,
    ratio: ratioOf(s, b),
    allowlist_ratio: ratioOf(a, s),
    isolation_ratio: ratioOf(s, p),
    first_errors,
  };
}

function ratioOf(x: Side, base: Side): { p50: number; p95: number } | undefined {
  if (!x.latency_ms || !base.latency_ms) return undefined;
  return { p50: round(x.latency_ms.p50 / base.latency_ms.p50, 2), p95: round(x.latency_ms.p95 / base.latency_ms.p95, 2) };
}

// Latency statistics cover successful runs only: a failed run's time says nothing about the task.
function side(samples: Sample[]): Side {
  const ok = samples.filter((x) => x.ok).map((x) => x.ms);
  return { latency_ms: summarize(ok), errors: samples.length - ok.length, samples_ms: samples.map((x) => round(x.ms)) };
}

function fmt(x: Sample | undefined): string {
  return x === undefined ? '-' : `${Math.round(x.ms)} ms${x.ok ? '' : ' (error)'}`;
}
