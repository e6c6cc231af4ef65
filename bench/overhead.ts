/**
 * Phase 1: the same task through bare `query()`, through the service as it was before tenant
 * isolation (the host's network, the model key in the run, no resource limits), through
 * `POST /invocations` of the service as it is (its own network namespace and proxy, the credential
 * broker, resource limits), through it with an egress allowlist, and through a second service with
 * a warm pool, interleaved so that drift (page cache, CPU frequency, other load) hits every side
 * alike.
 */
import type { TestService } from '../test/support/service.js';
import { round, summarize, type Summary } from './stats.js';
import { runBare, runService, type Sample } from './task.js';
import { poolOf, waitForPool, waitForSettled } from './warm.js';

export interface Side {
  latency_ms: Summary | undefined;
  errors: number;
  samples_ms: number[];
}

/** The warm side: a sequential caller whose pool had time to refill between requests. */
export interface WarmSide extends Side {
  /** Measured samples a warm agent served (`metadata.warm_start`). */
  hits: number;
  hit_rate: number | undefined;
  /** Samples before which no ready agent of the shape came within the wait (30 s). */
  not_ready: number;
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
  /** The service with a warm pool (CCA_WARM_POOL=auto); absent when not measured. */
  warm?: WarmSide;
  /** warm / bare and warm / service. */
  warm_ratio?: { p50: number; p95: number } | undefined;
  warm_service_ratio?: { p50: number; p95: number } | undefined;
  first_errors: string[];
}

const ALLOWLIST = { allowed_domains: [] };

/** How long a warm sample waits (unmeasured) for a ready agent of its shape. */
const WARM_WAIT_MS = 30_000;

/**
 * Runs `warmup` then `runs` rounds (bare, before, service, allowlist, warm, bare, ...). The warm
 * side (when `warmSvc` is given) waits, unmeasured, for a ready agent of the task's shape before
 * each sample, and for the pool's refill to end after it, so that no other side runs next to a
 * Claude Code starting in the background.
 */
export async function measureOverhead(
  svc: TestService,
  before: TestService,
  opts: { runs: number; warmup: number; progress: (line: string) => void; warmSvc?: TestService | undefined },
): Promise<OverheadResult> {
  const pool = opts.warmSvc === undefined ? undefined : poolOf(opts.warmSvc);
  let notReady = 0;
  const runWarm = async (): Promise<Sample | undefined> => {
    if (opts.warmSvc === undefined || pool === undefined) return undefined;
    if (!(await waitForPool(pool, 1, WARM_WAIT_MS))) notReady++;
    const sample = await runService(opts.warmSvc);
    await waitForSettled(pool, WARM_WAIT_MS);
    return sample;
  };
  for (let i = 0; i < opts.warmup; i++) {
    await runBare(svc.model.url);
    await runService(before);
    await runService(svc);
    await runService(svc, ALLOWLIST);
    await runWarm();
  }
  // The first request of a shape is a miss that teaches the pool the shape: without a warm-up, one
  // unmeasured request does that.
  if (opts.warmup === 0 && opts.warmSvc !== undefined) await runService(opts.warmSvc);
  notReady = 0;
  const bare: Sample[] = [];
  const prior: Sample[] = [];
  const service: Sample[] = [];
  const allowlist: Sample[] = [];
  const warm: Sample[] = [];
  for (let i = 0; i < opts.runs; i++) {
    bare.push(await runBare(svc.model.url));
    prior.push(await runService(before));
    service.push(await runService(svc));
    allowlist.push(await runService(svc, ALLOWLIST));
    const w = await runWarm();
    if (w !== undefined) warm.push(w);
    opts.progress(
      `  overhead ${i + 1}/${opts.runs}: bare ${fmt(bare.at(-1))}, before ${fmt(prior.at(-1))}, service ${fmt(service.at(-1))}, allowlist ${fmt(allowlist.at(-1))}` +
        (w === undefined ? '' : `, warm ${fmt(w)}${w.warm ? ' (hit)' : ' (miss)'}`),
    );
  }
  const b = side(bare);
  const p = side(prior);
  const s = side(service);
  const a = side(allowlist);
  const first_errors = [...bare, ...prior, ...service, ...allowlist, ...warm].flatMap((x) => (x.error ? [x.error] : [])).slice(0, 5);
  const warmResult = pool === undefined ? {} : warmFigures(warm, notReady, b, s);
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
    ...warmResult,
    first_errors,
  };
}

function warmFigures(
  samples: Sample[],
  notReady: number,
  bare: Side,
  service: Side,
): Pick<OverheadResult, 'warm' | 'warm_ratio' | 'warm_service_ratio'> {
  const hits = samples.filter((x) => x.warm === true).length;
  const w: WarmSide = {
    ...side(samples),
    hits,
    hit_rate: samples.length === 0 ? undefined : round(hits / samples.length, 2),
    not_ready: notReady,
  };
  return { warm: w, warm_ratio: ratioOf(w, bare), warm_service_ratio: ratioOf(w, service) };
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
