/**
 * Starts the real service in-process on 127.0.0.1 (OS-assigned port) with a fresh data dir, wired
 * to a scripted model server. Claude Code itself runs as the real binary, one process per run.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.js';
import { silentLogger, type Logger } from '../../src/logging/index.js';
import { startRuntime, type RuntimeHandle } from '../../src/server/index.js';
import type { StateMirror } from '../../src/state/index.js';
import { startModelServer, type ModelServer, type Responder } from './model-server.js';
import type { LimitsSupport } from '../../src/limits/index.js';

export interface TestService {
  url: string;
  dataDir: string;
  model: ModelServer;
  runtime: RuntimeHandle;
  config: Config;
  /** POSTs JSON to /invocations and returns status and parsed body. */
  invoke(body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** Starts a model server (unless given) and the runtime. `env` adds to or overrides the defaults. */
export async function startTestService(
  opts: {
    responder?: Responder;
    env?: Record<string, string>;
    model?: ModelServer;
    dataDir?: string;
    /** 'runtime' (default): the AgentCore contract, no keys. 'serve': the public API behind keys. */
    mode?: 'runtime' | 'serve';
    /** Clock for rate limits and quotas. */
    now?: () => number;
    /** Where session state is mirrored. */
    state?: StateMirror;
    /** The service's logger; default: silent. */
    logger?: Logger;
    /** false: runs get the model key itself, as before the credential broker (for the benchmark). */
    brokerCredentials?: boolean;
    /** What per-run limits are enforced with; default: detected. */
    limits?: LimitsSupport;
  } = {},
): Promise<TestService> {
  const model = opts.model ?? (await startModelServer(opts.responder));
  const dataDir = opts.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'cca-test-')));
  const env: NodeJS.ProcessEnv = {
    ANTHROPIC_BASE_URL: model.url,
    ANTHROPIC_API_KEY: 'sk-test-scripted',
    // Failure tests must not wait through Claude Code's retries with backoff.
    CCA_MODEL_MAX_RETRIES: '0',
    // No Claude Code started ahead of requests unless a test asks for it (test/e2e/warm-pool.test.ts).
    CCA_WARM_POOL: 'off',
    ...opts.env,
  };
  const config = loadConfig({ port: '0', host: '127.0.0.1', 'data-dir': dataDir }, env, {
    host: '127.0.0.1',
    port: 0,
    mode: opts.mode ?? 'runtime',
  });
  const runtime = await startRuntime(
    config,
    opts.logger ?? silentLogger(),
    { PATH: process.env.PATH, LANG: 'C.UTF-8' },
    {
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.state ? { state: opts.state } : {}),
      ...(opts.brokerCredentials !== undefined ? { brokerCredentials: opts.brokerCredentials } : {}),
      ...(opts.limits !== undefined ? { limits: opts.limits } : {}),
    },
  );
  return {
    url: runtime.url,
    dataDir,
    model,
    runtime,
    config,
    async invoke(body, headers = {}) {
      const res = await fetch(`${runtime.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Non-JSON bodies are returned as text for the assertion to show.
      }
      return { status: res.status, body: parsed };
    },
    async close() {
      await runtime.close(0);
      if (!opts.model) await model.close();
      if (!opts.dataDir) await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
