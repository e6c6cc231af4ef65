/**
 * Long tasks from the CLI, as a user runs them: `cca serve` as a process, then `cca invoke` with
 * live progress, `--async`, `cca session`, `cca sessions`, `cca cancel` and `cca approve`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listening, SERVE_BANNER_END } from '../support/cca-banner.js';
import { parseSseStream } from '../support/sse.js';
import { scenarios, startModelServer, text, toolUse, type ModelServer } from '../support/model-server.js';

const CCA = path.resolve(import.meta.dirname, '../../bin/cca');
const run = promisify(execFile);

let model: ModelServer;
let dataDir: string;
let server: ChildProcess;
let url: string;

const cca = (...args: string[]) => run(CCA, [...args, '--endpoint', url, '--data-dir', dataDir], { env: { PATH: process.env.PATH } });

async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}

/** Follows a session's events until one matches, then hangs up. */
async function firstEvent(sessionId: string, match: (event: any) => boolean): Promise<any> {
  const key = (await fs.readFile(path.join(dataDir, '.api_key'), 'utf8')).trim();
  const abort = new AbortController();
  const res = await fetch(`${url}/sessions/${sessionId}/events`, { headers: { 'x-api-key': key }, signal: abort.signal });
  try {
    for await (const message of parseSseStream(res.body!)) {
      const event = JSON.parse(message.data);
      if (match(event)) return event;
    }
    throw new Error('the stream ended without the event');
  } finally {
    abort.abort();
  }
}

beforeAll(async () => {
  model = await startModelServer(
    scenarios({
      work: [
        { content: [text('Writing the script.'), toolUse('Write', { file_path: 'hello.py', content: 'print("hi")\n' })] },
        { content: [toolUse('Bash', { command: 'python3 hello.py > out.txt', description: 'run it' })] },
        { content: [text('Wrote and ran hello.py.')] },
      ],
      stuck: [{ content: [toolUse('Write', { file_path: 'partial.txt', content: 'before the cancel\n' })] }, { hang: true }],
      ask: [{ content: [toolUse('Write', { file_path: 'approved.txt', content: 'yes\n' })] }, { content: [text('asked')] }],
    }),
  );
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-cli-long-'));
  server = spawn(CCA, ['serve', '--port', '0', '--data-dir', dataDir], {
    env: {
      PATH: process.env.PATH,
      ANTHROPIC_BASE_URL: model.url,
      ANTHROPIC_API_KEY: 'sk-test',
      CCA_MODEL_MAX_RETRIES: '0',
      CCA_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The service's warnings show in the test output, but not its Node version line: the test run
  // prints that once already (test/support/global-setup.ts).
  server.stderr!.on('data', (chunk: Buffer) => {
    const lines = String(chunk)
      .split(/(?<=\n)/)
      .filter((line) => !line.startsWith('WARNING: Node.js'));
    if (lines.length > 0) process.stderr.write(lines.join(''));
  });
  url = (await listening(server, SERVE_BANNER_END)).url;
});

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  await model?.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('cca invoke and friends against a running service', () => {
  it('shows live progress, one line per tool call and stored file, then the result', async () => {
    const { stdout } = await cca('invoke', '[[scenario:work]] Create and run a hello world script');
    const lines = stdout.split('\n');
    const at = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
    expect(at(/→ Write\s+hello\.py/)).toBeGreaterThan(-1);
    expect(at(/→ Bash\s+python3 hello\.py > out\.txt/)).toBeGreaterThan(at(/→ Write/));
    expect(at(/✔ stored hello\.py/)).toBeGreaterThan(at(/→ Bash/));
    expect(at(/✔ stored out\.txt/)).toBeGreaterThan(-1);
    expect(at(/^Success\./)).toBeGreaterThan(at(/✔ stored/));
    // Once: the agent's last text is the result, printed at the end; an idle service queues nothing.
    expect(stdout.match(/Wrote and ran hello\.py\./g)).toHaveLength(1);
    expect(stdout).not.toContain('queued');
  });

  it('starts with --async, shows and lists the session, and cancels it with its partial files stored', async () => {
    const { stdout } = await cca('invoke', '--async', '[[scenario:stuck]] never finishes');
    const sessionId = /session\s*:?\s+([0-9a-f-]{36})/i.exec(stdout)?.[1];
    expect(sessionId).toBeDefined();
    const sid = sessionId as string;
    // Cancel once the Write has landed: its result is in the event stream.
    await firstEvent(sid, (e) => e.type === 'tool.result');
    expect(JSON.parse((await cca('session', sid, '--json')).stdout).status).toBe('running');
    const cancelled = await cca('cancel', sid);
    expect(cancelled.stdout).toMatch(/Cancelling/);
    const detail = await waitFor(async () => {
      const { stdout: json } = await cca('session', sid, '--json');
      const s = JSON.parse(json);
      return s.status === 'cancelled' ? s : undefined;
    });
    expect(detail.invocations[0].files.map((f: any) => f.file_name)).toEqual(['partial.txt']);
    expect((await cca('sessions')).stdout).toContain(sid);
    const again = await cca('cancel', sid).catch((err: { code: number; stdout: string; stderr: string }) => err);
    expect(again).toMatchObject({ code: 1 });
  });

  it('approves a manual-mode tool use from another terminal', async () => {
    const { stdout } = await cca('invoke', '--async', '--permission-mode', 'manual', '[[scenario:ask]] write after approval');
    const sid = /session\s*:?\s+([0-9a-f-]{36})/i.exec(stdout)?.[1] as string;
    const requestId = (await firstEvent(sid, (e) => e.type === 'permission.request')).data.request_id as string;
    const approved = await cca('approve', sid, requestId);
    expect(approved.stdout).toMatch(/Allowed/);
    const detail = await waitFor(async () => {
      const s = JSON.parse((await cca('session', sid, '--json')).stdout);
      return s.status === 'succeeded' ? s : undefined;
    });
    expect(detail.invocations[0].files.map((f: any) => f.file_name)).toEqual(['approved.txt']);
  });
});
