/**
 * Soak: 200 invocations, 8 at a time, through `POST /invoke`, each a two-turn scripted task that
 * writes a file. Every one succeeds with its own file stored; between an idle point after the
 * first 40 and the idle end the service's memory and open files stay flat, and no Claude Code
 * process is left behind. A leak check, not a speed target: durations are reported, not asserted.
 */
import fs from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processTree, startRssSampler, treeRss } from '../../bench/process-tree.js';
import { scenarios, text, toolUse, userTexts, type ModelRequest } from '../support/model-server.js';
import { startTestService, type TestService } from '../support/service.js';

const TOTAL = 200;
const WARMUP = 40;
const CONCURRENCY = 8;
const MB = 1024 * 1024;
/** Idle RSS of the test process (the service runs in it) may grow this much from warm-up to end. */
const RSS_GROWTH_BOUND = 150 * MB;
/** After a full collection the JS heap holds what the service retains: a leak of 64 KB per invocation shows. */
const HEAP_GROWTH_BOUND = 10 * MB;
/** Open descriptors may differ by keep-alive sockets and the like, not by one per invocation. */
const FD_GROWTH_BOUND = 64;

/** The task number in the conversation's prompt, so each run writes its own content. */
function taskOf(req: ModelRequest): string {
  return /soak task (\d+)/.exec(userTexts(req.body).join('\n'))?.[1] ?? 'unknown';
}

const responder = scenarios({
  soak: [
    (req) => ({ content: [toolUse('Write', { file_path: 'result.txt', content: `task ${taskOf(req)}\n` })] }),
    { content: [text('Stored the result.')] },
  ],
});

// A full collection before each idle sample, so the comparison sees what is retained rather than
// garbage not yet collected. A context made after the flag is set has `gc`.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/** Descendants of this process whose command line names Claude Code (or the sandbox wrapping it). */
function claudeProcesses(): { pid: number; cmd: string }[] {
  return processTree(process.pid)
    .slice(1)
    .flatMap((pid) => {
      try {
        const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
        return /claude|bwrap/i.test(cmd) ? [{ pid, cmd: cmd.slice(0, 200) }] : [];
      } catch {
        return []; // Exited between the listing and the read.
      }
    });
}

interface IdleSample {
  selfRss: number;
  treeRss: number;
  processes: number;
  openFds: number;
  heapUsed: number;
}

/** Waits until no run is active and no Claude Code process remains, collects garbage, then samples. */
async function idleSample(svc: TestService): Promise<IdleSample> {
  const deadline = Date.now() + 30_000;
  while (svc.runtime.service.activeRuns > 0 || claudeProcesses().length > 0) {
    if (Date.now() > deadline) break; // The assertion after the run reports what is left.
    await new Promise((r) => setTimeout(r, 100));
  }
  // The scripted model keeps every request it served (whole conversations): the test's memory, not the service's.
  svc.model.requests.length = 0;
  collectGarbage();
  await new Promise((r) => setTimeout(r, 200));
  collectGarbage();
  const tree = treeRss(process.pid);
  return {
    selfRss: process.memoryUsage.rss(),
    treeRss: tree.bytes,
    processes: tree.processes,
    openFds: fs.readdirSync('/proc/self/fd').length,
    heapUsed: process.memoryUsage().heapUsed,
  };
}

describe('soak: 200 invocations at concurrency 8', () => {
  let svc: TestService;
  let key: string;

  beforeAll(async () => {
    svc = await startTestService({ mode: 'serve', responder, env: { CCA_MAX_RUNS: String(CONCURRENCY) } });
    key = svc.runtime.keys.create('soak', { ratePerS: 10_000, burst: 10_000, dailyQuota: 1_000_000, maxConcurrent: CONCURRENCY }).key;
  });
  afterAll(async () => svc?.close());

  /** One invocation and its stored file; returns what went wrong, if anything. */
  async function invokeOne(n: number): Promise<string | undefined> {
    try {
      const res = await fetch(`${svc.url}/invoke`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: `[[scenario:soak]] soak task ${n}` }),
      });
      const body = (await res.json()) as any;
      if (res.status !== 200 || body.output?.success !== true) return `task ${n}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`;
      const files = body.output.metadata.uploaded_files as { file_name: string; download_url: string }[];
      if (files.length !== 1 || files[0]?.file_name !== 'result.txt') return `task ${n}: files ${JSON.stringify(files)}`;
      // Its own content: concurrent runs did not write into one another's workspaces.
      const stored = await (await fetch(files[0].download_url)).text();
      if (stored !== `task ${n}\n`) return `task ${n}: stored ${JSON.stringify(stored)}`;
      return undefined;
    } catch (err) {
      return `task ${n}: ${(err as Error).message}`;
    }
  }

  /** Runs tasks [from, to) with CONCURRENCY in flight: each worker takes the next as its last one answers. */
  async function runTasks(from: number, to: number): Promise<string[]> {
    const errors: string[] = [];
    let next = from;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < to) {
          const error = await invokeOne(next++);
          if (error !== undefined) errors.push(error);
        }
      }),
    );
    return errors;
  }

  it('succeeds every time, stores every file, keeps memory and open files flat, and leaves no Claude Code process', async () => {
    const t0 = Date.now();
    const warmupErrors = await runTasks(0, WARMUP);
    const warm = await idleSample(svc);
    const t1 = Date.now();
    const sampler = startRssSampler(250);
    const errors = [...warmupErrors, ...(await runTasks(WARMUP, TOTAL))];
    const peak = sampler.stop();
    const t2 = Date.now();
    const end = await idleSample(svc);

    console.info(
      JSON.stringify(
        {
          invocations: TOTAL,
          concurrency: CONCURRENCY,
          warmup_s: (t1 - t0) / 1000,
          main_s: (t2 - t1) / 1000,
          self_rss_mb: { warm: round(warm.selfRss / MB), end: round(end.selfRss / MB) },
          heap_used_mb: { warm: round(warm.heapUsed / MB), end: round(end.heapUsed / MB) },
          tree_rss_mb: { warm: round(warm.treeRss / MB), peak: round(peak.peakBytes / MB), end: round(end.treeRss / MB) },
          processes: { warm: warm.processes, peak: peak.peakProcesses, end: end.processes },
          open_fds: { warm: warm.openFds, end: end.openFds },
        },
        null,
        2,
      ),
    );

    expect(errors).toEqual([]);
    const byStatus = svc.runtime.db.prepare('SELECT status, count(*) AS n FROM invocations GROUP BY status').all();
    expect(byStatus).toEqual([{ status: 'succeeded', n: TOTAL }]);
    expect(claudeProcesses()).toEqual([]);
    expect(svc.runtime.service.activeRuns).toBe(0);
    expect(end.selfRss - warm.selfRss).toBeLessThan(RSS_GROWTH_BOUND);
    expect(end.heapUsed - warm.heapUsed).toBeLessThan(HEAP_GROWTH_BOUND);
    expect(end.openFds - warm.openFds).toBeLessThan(FD_GROWTH_BOUND);
    // The runs really overlapped: the tree held several Claude Code processes at its peak.
    expect(peak.peakProcesses).toBeGreaterThan(CONCURRENCY / 2);
  }, 900_000);
});

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
