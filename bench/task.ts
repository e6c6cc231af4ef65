/**
 * The one task every figure measures: a scripted two-turn run (turn 1 the model writes hello.py
 * with the Write tool, turn 2 it answers), done through bare `query()` or through the service.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { query, type SDKResultMessage } from '@anthropic-ai/claude-agent-sdk';
import { text, toolUse, type Script } from '../test/support/model-server.js';
import type { TestService } from '../test/support/service.js';

/** The scenario tag picks `BENCH_SCRIPT` in the scripted model server. */
export const PROMPT = '[[scenario:bench]] Create a hello world Python script';
export const TOOLS = ['Write', 'Read', 'Bash'];
const HELLO_PY = 'print("Hello, World!")\n';

/** Turns as functions so every request gets a fresh tool_use id (sessions run concurrently). */
export const BENCH_SCRIPT: Script = [
  () => ({ content: [text('Creating the script.'), toolUse('Write', { file_path: 'hello.py', content: HELLO_PY })] }),
  () => ({ content: [text('Created hello.py.')] }),
];

/** One timed run: wall-clock milliseconds and whether it did the task. */
export interface Sample {
  ms: number;
  ok: boolean;
  error?: string;
  /** Service runs: whether a warm agent served it (`metadata.warm_start`). */
  warm?: boolean;
}

/**
 * Runs the task through bare `query()` in a fresh temp dir. HOME and TMPDIR are fresh per run too,
 * as the service gives each session its own: otherwise Claude Code would reuse state between runs
 * and the baseline would not be the same work.
 */
export async function runBare(modelUrl: string): Promise<Sample> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-bench-bare-'));
  const cwd = path.join(root, 'workspace');
  const home = path.join(root, 'home');
  const tmp = path.join(root, 'tmp');
  await Promise.all([cwd, home, tmp].map((dir) => fs.mkdir(dir)));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    TMPDIR: tmp,
    ANTHROPIC_BASE_URL: modelUrl,
    ANTHROPIC_API_KEY: 'sk-test-scripted',
    LANG: 'C.UTF-8',
    // The same switches the service gives its child (runner/env.ts, test/support/service.ts).
    // Without them Claude Code makes one extra model call per run, so the baseline would do more
    // work than the service and hide its overhead.
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_MAX_RETRIES: '0',
    CLAUDE_CODE_DISABLE_AUTO_MEMORY: '1',
  };
  const started = performance.now();
  try {
    let result: SDKResultMessage | undefined;
    const stream = query({
      prompt: PROMPT,
      options: {
        cwd,
        env,
        settingSources: [],
        tools: TOOLS,
        // The service pre-approves nothing and answers in canUseTool instead; for this task (a
        // Write inside cwd under acceptEdits) Claude Code approves on its own either way.
        allowedTools: TOOLS,
        permissionMode: 'acceptEdits',
        systemPrompt: { type: 'preset', preset: 'claude_code' },
      },
    });
    for await (const message of stream) {
      // Stop where the service stops (runner/run.ts): the result is the end of a one-shot run.
      if (message.type === 'result') {
        result = message;
        break;
      }
    }
    const ms = performance.now() - started;
    const written = await fs.readFile(path.join(cwd, 'hello.py'), 'utf8').catch(() => undefined);
    if (result?.subtype !== 'success' || result.is_error) return { ms, ok: false, error: `bare: result ${result?.subtype ?? 'missing'}` };
    if (written !== HELLO_PY) return { ms, ok: false, error: 'bare: hello.py was not written' };
    return { ms, ok: true };
  } catch (err) {
    return { ms: performance.now() - started, ok: false, error: `bare: ${(err as Error).message}` };
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

/** Runs the task as one new session through `POST /invocations`, timed from the client. */
export async function runService(svc: TestService, extra: Record<string, unknown> = {}): Promise<Sample> {
  const started = performance.now();
  try {
    const { status, body } = await svc.invoke({ prompt: PROMPT, allowed_tools: TOOLS, ...extra });
    const ms = performance.now() - started;
    const out = body?.output;
    if (status !== 200) return { ms, ok: false, error: `service: HTTP ${status} ${JSON.stringify(body).slice(0, 200)}` };
    if (out?.success !== true) return { ms, ok: false, error: `service: ${String(out?.result).slice(0, 200)}` };
    const files: { file_name?: string }[] = out.metadata?.uploaded_files ?? [];
    const warm = out.metadata?.warm_start === true;
    if (!files.some((f) => f.file_name === 'hello.py')) return { ms, ok: false, warm, error: 'service: hello.py was not stored' };
    return { ms, ok: true, warm };
  } catch (err) {
    return { ms: performance.now() - started, ok: false, error: `service: ${(err as Error).message}` };
  }
}
