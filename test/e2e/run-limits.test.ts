/**
 * Per-run resource limits, attacked from inside: the real Claude Code binary, in its sandbox, runs
 * what the scripted model asks for: a fork loop, a memory hog, a disk filler. Each run ends with
 * its stop_reason, the files written before the limit are stored, and another key's requests stay
 * fast meanwhile. The limits are the key's caps (64 processes, 256 MB, 20 MB of disk), below the
 * server's defaults. Runs execute as an unprivileged user: /etc/shadow is out of reach.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectLimits } from '../../src/limits/index.js';
import { detectSandbox } from '../../src/sandbox/index.js';
import { listening, SERVE_BANNER_END, spawnServe } from '../support/cca-banner.js';
import { scenarios, text, toolUse } from '../support/model-server.js';
import { startTestService, type TestService } from '../support/service.js';

const sandbox = await detectSandbox('bwrap', { searchPath: process.env.PATH });
const MiB = 2 ** 20;

/** A run that does `command` in one Bash call, then says so (if it is still alive to). */
const bash = (command: string) => [{ content: [toolUse('Bash', { command, description: 'do it' })] }, { content: [text('Done.')] }];

describe.skipIf(sandbox.kind !== 'bwrap')('per-run resource limits (real Claude Code, bubblewrap, cgroups)', () => {
  let svc: TestService;
  let small: string;
  let other: string;

  beforeAll(async () => {
    svc = await startTestService({
      mode: 'serve',
      responder: scenarios({
        forks: bash('echo before > before-forks.txt; for i in $(seq 500); do sleep 60 & done; wait'),
        memory: bash('echo before > before-memory.txt; python3 -c "a = bytearray(1024 * 2**20); print(len(a))"'),
        disk: bash('echo before > before-disk.txt; dd if=/dev/zero of=big.bin bs=1M count=200; sleep 60'),
        files: bash('for i in $(seq 30); do head -c 1000000 /dev/zero > part-$i.bin; done; sleep 60'),
        who: bash(
          'id -u > uid.txt; grep -E "^Cap(Eff|Prm|Bnd)" /proc/self/status > caps.txt; (cat /etc/shadow 2>&1 || true) | head -c 200 > shadow.txt; ulimit -f > fsize.txt',
        ),
      }),
    });
    const generous = { ratePerS: 1000, burst: 1000, dailyQuota: 100_000 };
    small = svc.runtime.keys.create('small', { ...generous, maxMemoryMb: 256, maxPids: 64, maxDiskMb: 20, maxCpus: 1 }).key;
    other = svc.runtime.keys.create('other', generous).key;
  });
  afterAll(async () => {
    await svc?.close();
  });

  /** Runs a scenario with the small key while the other key asks GET /health and GET /sessions; the slowest answer. */
  async function hostileRun(scenario: string) {
    let running = true;
    let slowestMs = 0;
    let asked = 0;
    const watcher = (async () => {
      while (running) {
        for (const route of ['/health', '/sessions']) {
          const started = performance.now();
          const res = await fetch(`${svc.url}${route}`, { headers: { 'x-api-key': other } });
          expect(res.status).toBe(200);
          await res.text();
          slowestMs = Math.max(slowestMs, performance.now() - started);
          asked++;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const started = performance.now();
    const res = await fetch(`${svc.url}/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': small },
      body: JSON.stringify({ prompt: `[[scenario:${scenario}]] go`, permission_mode: 'acceptAll', timeout_s: 120 }),
    });
    const body = (await res.json()) as { output: Record<string, any> };
    running = false;
    await watcher;
    if (process.env.CCA_TEST_VERBOSE)
      console.log(scenario, { stop_reason: body.output.stop_reason, ms: performance.now() - started, slowestMs, asked });
    const files = Object.fromEntries(
      (body.output.metadata.uploaded_files as { file_name: string; size: number; download_url: string }[]).map((f) => [f.file_name, f]),
    );
    return { output: body.output, files, slowestMs, asked, ms: performance.now() - started };
  }

  it('says at start-up and in /health which cgroup version limits runs and which user they run as', async () => {
    const health = (await (await fetch(`${svc.url}/health`)).json()) as { run_limits: { cgroup: string; run_uid: number | null } };
    expect(svc.runtime.limits?.cgroups, svc.runtime.limits?.cgroupNote).toBeDefined();
    expect(health.run_limits).toEqual({ cgroup: svc.runtime.limits?.cgroups?.version, run_uid: process.getuid?.() === 0 ? 65534 : null });
  });

  it('cca serve says at start-up what limits runs, with which cgroup version, and as which user', async () => {
    const serve = await spawnServe([], process.env.PATH ?? '');
    try {
      const { banner } = await listening(serve.child, SERVE_BANNER_END);
      expect(banner).toMatch(/\n {2}limits: {3}per run \d+ MB memory, 512 processes, \d+ CPU, 2048 MB disk; cgroup v[12] \([^\n]*cca-\d+/);
      const user = process.getuid?.() === 0 ? 'runs as uid 65534, gid 65534, without capabilities' : 'the service does not run as root';
      expect(banner).toContain(`\n  run user: ${user}`);
    } finally {
      await serve.stop();
    }
    // Killed without a chance to clean up, it left its parent group; the next start removes it
    // (any service's start does: another test file's may have been first).
    await new Promise((r) => setTimeout(r, 200));
    const leftover = (svc.runtime.limits?.cgroups?.dirs ?? []).map((d) => path.join(path.dirname(d), `cca-${serve.child.pid}`));
    expect(leftover.length).toBeGreaterThan(0);
    const next = detectLimits({ runUser: { uid: 65534, gid: 65534 }, groupName: `cca-e2e-${process.pid}` });
    expect(leftover.filter((d) => existsSync(d))).toEqual([]);
    await next.cgroups?.close();
  });

  it('ends a fork loop with process_limit, storing what it wrote first, while the other key is answered fast', async () => {
    const { output, files, slowestMs, asked, ms } = await hostileRun('forks');
    expect(output.stop_reason, output.result).toBe('process_limit');
    expect(output.success).toBe(false);
    expect(output.result).toMatch(/more than 64 processes/);
    expect(Object.keys(files)).toContain('before-forks.txt');
    // Stopped by the limit, not by the 60 s sleeps nor the timeout.
    expect(ms).toBeLessThan(30_000);
    expect(asked).toBeGreaterThan(0);
    expect(slowestMs).toBeLessThan(1000);
  });

  it('ends a memory hog with memory_limit, storing what it wrote first', async () => {
    const { output, files, slowestMs } = await hostileRun('memory');
    expect(output.stop_reason, output.result).toBe('memory_limit');
    expect(output.result).toMatch(/memory limit of 256 MB/);
    expect(Object.keys(files)).toContain('before-memory.txt');
    expect(slowestMs).toBeLessThan(1000);
  });

  it('ends a disk filler with disk_limit: no file past the limit, what it wrote first stored', async () => {
    const { output, files, ms, slowestMs } = await hostileRun('disk');
    expect(output.stop_reason, output.result).toBe('disk_limit');
    expect(output.result).toMatch(/disk limit of 20 MB/);
    expect(Object.keys(files)).toContain('before-disk.txt');
    // RLIMIT_FSIZE stopped dd at the limit; the watch stopped the run long before its sleep ended.
    expect(files['big.bin']?.size).toBe(20 * MiB);
    expect(ms).toBeLessThan(30_000);
    expect(slowestMs).toBeLessThan(1000);
  });

  it('ends a run whose many small files add up past the limit with disk_limit', async () => {
    const { output, files, ms } = await hostileRun('files');
    expect(output.stop_reason, output.result).toBe('disk_limit');
    expect(Object.keys(files).length).toBeGreaterThanOrEqual(20);
    expect(ms).toBeLessThan(30_000);
  });

  it.skipIf(process.getuid?.() !== 0)(
    'runs as the unprivileged user, with no capabilities, no /etc/shadow and a file size limit',
    async () => {
      const { output, files } = await hostileRun('who');
      expect(output.stop_reason, output.result).toBe('completed');
      const read = async (name: string) => (await (await fetch(files[name]!.download_url)).text()).trim();
      expect(await read('uid.txt')).toBe('65534');
      expect((await read('caps.txt')).split('\n')).toEqual([
        'CapPrm:\t0000000000000000',
        'CapEff:\t0000000000000000',
        'CapBnd:\t0000000000000000',
      ]);
      expect(await read('shadow.txt')).toMatch(/Permission denied/);
      // Claude Code's shell is bash, which counts in KiB.
      expect(await read('fsize.txt')).toBe(String((20 * MiB) / 1024));
    },
  );
});
