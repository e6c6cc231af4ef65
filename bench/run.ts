/**
 * The benchmark: overhead of the service over bare `query()`, then throughput, latency and memory
 * with sessions in flight. Prints a report and writes it as JSON to bench/results/latest.json.
 * See bench/README.md.
 */
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { scenarios, startModelServer } from '../test/support/model-server.js';
import { startTestService } from '../test/support/service.js';
import { parseBenchArgs, USAGE, type BenchArgs } from './args.js';
import { measureConcurrency, measureWarmConcurrency, type ConcurrencyResult } from './concurrency.js';
import { describeEnvironment } from './environment.js';
import { measureSessionReads, type GatewayResult } from './gateway.js';
import { measureOverhead } from './overhead.js';
import { processTree } from './process-tree.js';
import { formatReport, NOTES, type BenchReport } from './report.js';
import { BENCH_SCRIPT } from './task.js';
import { measureRepository, repoBenchResponder, type RepositoryResult } from './repository.js';
import { measureSessionState, type SessionStateResult } from './session-state.js';
import { measureWarmMemory, poolOf, type WarmMemoryResult } from './warm.js';

const argv = process.argv.slice(2);
const args = readArgs(argv);

const header = describeEnvironment(argv);
// Progress goes to stderr so stdout carries only the report.
const progress = (line: string) => console.error(line);

// One scripted model server for both sides: the scenario responder is stateless, so bare runs,
// service runs and concurrent sessions can share it.
const idleProcesses = processTree().length;
const model = await startModelServer(scenarios({ bench: BENCH_SCRIPT, repobench: (req) => repoBenchResponder(req) }));
// Local repositories: the large-workspace phase clones a generated one from disk.
const svc = await startTestService({ model, env: { CCA_GIT_ALLOW_LOCAL: '1' } });
// The service as it was before tenant isolation: the host's network, the key in the run, no
// cgroup, the service's own user, no file size limit.
const before = await startTestService({
  model,
  env: { CCA_RUN_NETWORK: 'host' },
  brokerCredentials: false,
  limits: {
    cgroups: undefined,
    cgroupNote: 'off (benchmark)',
    user: undefined,
    userNote: 'off (benchmark)',
    prlimit: undefined,
    setpriv: undefined,
  },
});
const wants = (phase: string) => args.only === undefined || args.only.includes(phase);
// The service with a warm pool sized from the machine (as under `cca serve`), for the phases that
// compare it; closed after them so the later phases run without its agents.
let warmSvc = ['overhead', 'concurrency', 'memory'].some(wants)
  ? await startTestService({ model, env: { CCA_WARM_POOL: 'auto' } })
  : undefined;
let report: BenchReport;
try {
  if (warmSvc) progress(`warm pool: max ${poolOf(warmSvc).stats().max} agents`);
  let overhead: Awaited<ReturnType<typeof measureOverhead>> | undefined;
  if (wants('overhead')) {
    progress(`overhead: ${args.warmup} warm-up + ${args.runs} measured runs of each side`);
    overhead = await measureOverhead(svc, before, { runs: args.runs, warmup: args.warmup, progress, warmSvc });
  }
  const concurrency: ConcurrencyResult[] = [];
  const concurrencyWarm: ConcurrencyResult[] = [];
  for (const c of wants('concurrency') ? args.concurrency : []) {
    progress(`concurrency ${c} cold: ${Math.max(c * 2, 8)} invocations`);
    const result = await measureConcurrency(svc, c, idleProcesses, warmSvc?.runtime.warm);
    progress(`  ${result.wall_s} s, ${result.errors} errors`);
    concurrency.push(result);
    if (warmSvc) {
      progress(`concurrency ${c} warm: a burst of ${c} to prime the pool, then ${Math.max(c * 2, 8)} invocations`);
      const warm = await measureWarmConcurrency(warmSvc, c, idleProcesses, progress);
      progress(`  ${warm.wall_s} s, ${warm.errors} errors, ${warm.hits}/${warm.invocations} warm`);
      concurrencyWarm.push(warm);
    }
  }
  let warmMemory: WarmMemoryResult | undefined;
  if (warmSvc && wants('memory')) {
    progress('memory: idle warm agents, pool full');
    warmMemory = await measureWarmMemory(warmSvc, progress);
  }
  if (warmSvc) {
    const closing = warmSvc;
    warmSvc = undefined;
    await closing.close();
  }
  let gateway: GatewayResult | undefined;
  if (args.gatewayDurationS > 0 && wants('gateway')) {
    progress(`gateway: GET /sessions/{id} for ${args.gatewayDurationS} s, 10 connections`);
    gateway = await measureSessionReads(model, { durationS: args.gatewayDurationS, connections: 10 });
  }
  let repository: RepositoryResult | undefined;
  if (args.repoFiles > 0 && wants('repository')) {
    progress(`repository: ${args.repoFiles} files, ${args.runs} runs of each side`);
    repository = await measureRepository(svc, { files: args.repoFiles, runs: args.runs, progress });
  }
  let sessionState: SessionStateResult | undefined;
  if (args.stateFiles > 0 && wants('session-state')) {
    progress(`session state: ${args.stateFiles} files, ${Math.min(args.runs, 10)} rounds`);
    sessionState = await measureSessionState({ files: args.stateFiles, rounds: Math.min(args.runs, 10), progress });
  }
  report = {
    header,
    overhead,
    concurrency,
    ...(concurrencyWarm.length > 0
      ? { concurrency_warm: concurrencyWarm, concurrency_ratio: throughputRatios(concurrency, concurrencyWarm) }
      : {}),
    ...(warmMemory ? { warm_memory: warmMemory } : {}),
    ...(gateway ? { gateway } : {}),
    ...(repository ? { repository } : {}),
    ...(sessionState ? { session_state: sessionState } : {}),
    notes: NOTES,
  };
} finally {
  await warmSvc?.close();
  await svc.close();
  await before.close();
  await model.close();
}

const outDir = fileURLToPath(new URL('./results/', import.meta.url));
await fs.mkdir(outDir, { recursive: true });
await fs.writeFile(`${outDir}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
console.log(formatReport(report));
console.log(`\nJSON: bench/results/latest.json`);

function readArgs(argv: string[]): BenchArgs {
  try {
    const parsed = parseBenchArgs(argv);
    if (parsed !== 'help') return parsed;
    console.log(USAGE);
    process.exit(0);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
}

/** warm / cold inv/s for each C measured on both sides. */
function throughputRatios(cold: ConcurrencyResult[], warm: ConcurrencyResult[]): { concurrency: number; throughput: number | undefined }[] {
  return cold.map((c) => {
    const w = warm.find((x) => x.concurrency === c.concurrency);
    return {
      concurrency: c.concurrency,
      throughput: w && c.throughput_per_s > 0 ? Math.round((w.throughput_per_s / c.throughput_per_s) * 100) / 100 : undefined,
    };
  });
}

const o = report.overhead;
const errors =
  (o ? o.bare.errors + o.before.errors + o.service.errors + o.allowlist.errors + (o.warm?.errors ?? 0) : 0) +
  (report.concurrency_warm ?? []).reduce((s, c) => s + c.errors, 0) +
  (report.repository ? report.repository.invocation.errors : 0) +
  report.concurrency.reduce((s, c) => s + c.errors, 0) +
  (report.gateway ? report.gateway.errors + report.gateway.non_2xx : 0);
// Exit explicitly: SDK child-process handles must not keep a finished benchmark alive.
process.exit(errors > 0 ? 1 : 0);
