/**
 * Phase 3: the public API's read path. `cca serve` runs as its own process (as a user runs it);
 * autocannon sends authenticated `GET /sessions/{id}` for a fixed time: every request is checked
 * against the key (hash, SQLite lookup), its token bucket and daily quota (one write transaction).
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { listening } from '../test/support/cca-banner.js';
import type { ModelServer } from '../test/support/model-server.js';

const CCA = fileURLToPath(new URL('../bin/cca', import.meta.url));
const run = promisify(execFile);

export interface GatewayResult {
  connections: number;
  duration_s: number;
  requests: number;
  non_2xx: number;
  errors: number;
  throughput_per_s: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number };
}

/** Serves from a fresh data dir, makes one session, then loads `GET /sessions/{id}`. */
export async function measureSessionReads(model: ModelServer, opts: { durationS: number; connections: number }): Promise<GatewayResult> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-bench-gw-'));
  // Limits far above what the load reaches: this measures the checks, not refusals.
  const { stdout } = await run(CCA, [
    'keys',
    'create',
    '--name',
    'bench',
    '--rate',
    '10000',
    '--burst',
    '100000',
    '--quota',
    '1000000000',
    '--json',
    '--data-dir',
    dataDir,
  ]);
  const { key } = JSON.parse(stdout) as { key: string };
  const child = spawn(CCA, ['serve', '--port', '0', '--data-dir', dataDir], {
    env: {
      PATH: process.env.PATH,
      ANTHROPIC_BASE_URL: model.url,
      ANTHROPIC_API_KEY: 'sk-bench',
      CCA_MODEL_MAX_RETRIES: '0',
      CCA_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = (await listening(child)).url;
    const made = await fetch(`${url}/invoke`, {
      method: 'POST',
      headers: { 'x-api-key': key },
      body: JSON.stringify({ prompt: '[[scenario:bench]] go' }),
    });
    const sessionId = ((await made.json()) as { output: { session_id: string } }).output.session_id;
    const result = await autocannon({
      url: `${url}/sessions/${sessionId}`,
      headers: { 'x-api-key': key },
      connections: opts.connections,
      duration: opts.durationS,
    });
    return {
      connections: opts.connections,
      duration_s: opts.durationS,
      requests: result.requests.total,
      non_2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      throughput_per_s: Math.round(result.requests.average),
      latency_ms: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}
