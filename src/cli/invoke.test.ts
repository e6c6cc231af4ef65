import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CommandDeps as WatchContext } from './context.js';
import { invokeCommand } from './entries.js';
import { sessionCommand } from './entries.js';
import type { CliIo } from './io.js';

/** An event as the service stores it; `data` is checked by the CLI against src/events/schema.ts. */
interface WireEvent {
  id: number;
  session_id: string;
  invocation_id: string;
  at: string;
  type: string;
  data: Record<string, unknown>;
}
interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: http.IncomingHttpHeaders;
  body: string;
}
/** How the stand-in service answers: the session's event log and where each stream breaks. */
interface Scenario {
  events: WireEvent[];
  /** POST /invoke stream: break the connection after this many events (halfway through the next). */
  invokeDropAfter?: number;
  /** Successive GET .../events: a status to refuse with, or after how many events to break (undefined: to the end). */
  resumes?: ({ status: number } | { dropAfter: number } | undefined)[];
  /** Keep the stream open after the last event (the run is still going). */
  hold?: boolean;
  /** Per stream: after how many events to go silent, keeping the connection open. */
  holdAfter?: () => number | undefined;
  /** GET .../events resends this many events before Last-Event-ID, as a careless server might. */
  overlap?: number;
  /** Answer POST /invoke with this instead of a stream. */
  invokeReply?: { status: number; body: string; contentType?: string };
  detail?: unknown;
}

let server: http.Server;
let base: string;
let received: Received[] = [];
let scenario: Scenario;
let eventsRequests = 0;

const NOW = '2025-06-01T18:00:00.000Z';
let nextId = 0;
function ev(type: string, data: Record<string, unknown>, invocation = 'inv_1'): WireEvent {
  nextId++;
  return { id: nextId, session_id: 'sess_1', invocation_id: invocation, at: NOW, type, data };
}

function output(overrides: Record<string, unknown> = {}) {
  return {
    output: {
      success: true,
      result: 'Created hello.py.',
      session_id: 'sess_1',
      invocation_id: 'inv_1',
      timestamp: NOW,
      model: 'claude-haiku-4-5',
      stop_reason: 'completed',
      cost_usd: 0.0123,
      usage: { input_tokens: 1, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      errors: [],
      permission_denials: [],
      metadata: {
        duration_ms: 2500,
        num_turns: 3,
        uploaded_files: [{ file_name: 'hello.py', size: 23, download_url: 'http://files/hello.py?sig=x', s3_url: 'file:///x' }],
        skipped_files: [],
        failed_uploads: [],
        storage_prefix: 'outputs/20250601_180000_ab12cd34',
      },
      ...overrides,
    },
  };
}

/** The run of the seed task, as the service would stream it. */
function seedRun(completedOutput: unknown = output()): WireEvent[] {
  return [
    ev('invocation.queued', { prompt: 'Create hello.py' }),
    ev('invocation.started', { resumed: false }),
    ev('assistant.text', { text: "I'll write the file — naïve 日本語 first." }),
    ev('tool.call', { tool_use_id: 't1', tool: 'Write', summary: 'hello.py', input: '{"file_path":"hello.py"}' }),
    ev('permission.request', {
      request_id: 'req_1',
      tool: 'Write',
      input: '{"file_path":"hello.py"}',
      expires_at: '2025-06-01T18:05:00.000Z',
    }),
    ev('permission.decision', { request_id: 'req_1', tool: 'Write', decision: 'allow', by: 'api' }),
    ev('tool.result', { tool_use_id: 't1', is_error: false, content: 'ok' }),
    ev('tool.call', { tool_use_id: 't2', tool: 'Bash', summary: 'python hello.py', input: '{"command":"python hello.py"}' }),
    ev('tool.result', { tool_use_id: 't2', is_error: true, content: 'python: not found' }),
    ev('usage', { usage: { input_tokens: 1, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } }),
    ev('file.stored', { file_name: 'hello.py', size: 23, key: 'outputs/x/hello.py', download_url: 'http://files/hello.py?sig=x' }),
    ev('invocation.completed', { status: 'succeeded', output: completedOutput }),
  ];
}

function sse(e: WireEvent): Buffer {
  return Buffer.from(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`, 'utf8');
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes the events in small chunks (split anywhere, even inside a UTF-8 character), then ends, holds or breaks. */
async function stream(res: http.ServerResponse, events: WireEvent[], dropAfter: number | undefined, hold: boolean): Promise<void> {
  const silentAfter = scenario.holdAfter?.();
  if (silentAfter !== undefined) {
    events = events.slice(0, silentAfter);
    hold = true;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.write(': connected\n\n');
  // A type this client does not know yet is skipped.
  res.write('event: something.new\ndata: {"id":0,"type":"something.new"}\n\n');
  for (const [i, e] of events.entries()) {
    const bytes = sse(e);
    if (dropAfter !== undefined && i === dropAfter) {
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
      await pause(10);
      res.socket?.destroy();
      return;
    }
    for (let at = 0; at < bytes.length; at += 37) {
      res.write(bytes.subarray(at, at + 37));
      await pause(1);
    }
  }
  if (!hold) res.end();
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      const url = new URL(req.url ?? '/', base);
      if (req.method === 'POST' && url.pathname === '/invoke') {
        if (JSON.parse(body).async === true) {
          res.writeHead(202, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              session_id: 'sess_1',
              invocation_id: 'inv_1',
              status_url: `${base}/sessions/sess_1`,
              events_url: `${base}/sessions/sess_1/events`,
            }),
          );
          return;
        }
        const reply = scenario.invokeReply;
        if (reply !== undefined) {
          res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json' });
          res.end(reply.body);
          return;
        }
        void stream(res, scenario.events, scenario.invokeDropAfter, scenario.hold === true);
        return;
      }
      if (req.method === 'GET' && url.pathname === '/sessions/sess_1/events') {
        const plan = scenario.resumes?.[eventsRequests++];
        if (plan !== undefined && 'status' in plan) {
          res.writeHead(plan.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: plan.status === 404 ? 'Session sess_1 was not found.' : 'Try again.' }));
          return;
        }
        const after = Number(req.headers['last-event-id'] ?? url.searchParams.get('after') ?? 0) - (scenario.overlap ?? 0);
        const rest = scenario.events.filter((e) => e.id > after);
        void stream(res, rest, plan?.dropAfter, scenario.hold === true);
        return;
      }
      if (req.method === 'GET' && url.pathname === '/sessions/sess_1') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(scenario.detail));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"message":"Not found."}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  received = [];
  eventsRequests = 0;
  nextId = 0;
});

interface RunOptions {
  tty?: boolean;
  ctx?: WatchContext;
  /** Called with each chunk written to stdout, e.g. to press Ctrl-C once something showed. */
  onStdout?: (all: string) => void;
}

async function run(command: typeof invokeCommand, args: string[], opts: RunOptions = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => {
      stdout += t;
      opts.onStdout?.(stdout);
    },
    stderr: (t) => void (stderr += t),
    isTTY: opts.tty === true,
  };
  const ctx: WatchContext = { cwd: os.tmpdir(), retryDelaysMs: [5, 5, 5], onInterrupt: () => () => undefined, ...opts.ctx };
  const code = await command([...args, '--endpoint', base, '--api-key', 'cca_k'], {}, io, ctx);
  return { code, stdout, stderr, stdoutNow: () => stdout };
}

// No "queued" line: the run did not wait for a slot (its invocation.queued has no `waiting`).
const PROGRESS = [
  '· started session sess_1',
  "I'll write the file — naïve 日本語 first.",
  '→ Write  hello.py',
  '? Write needs approval: cca approve sess_1 req_1 [--deny]',
  '    {"file_path":"hello.py"}  (until 2025-06-01T18:05:00.000Z)',
  '✔ Write allowed (answered)',
  '→ Bash  python hello.py',
  '✘ Bash failed: python: not found',
  '✔ stored hello.py (23 B)  http://files/hello.py?sig=x',
];

describe('cca invoke', () => {
  it('streams the run: one line per step in order, then the result as cca api prints it', async () => {
    scenario = { events: seedRun() };
    const { code, stdout, stderr } = await run(invokeCommand, ['Create hello.py', '--permission-mode', 'manual', '--max-budget', '0.5']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [head, result] = stdout.split('Created hello.py.\n\nSuccess.\n');
    expect(head).toBe(`${PROGRESS.join('\n')}\n`);
    expect(result).toMatch(/session: +sess_1\n[\s\S]*cost: +\$0\.0123\n[\s\S]*hello\.py +23 B +http:\/\/files\/hello\.py\?sig=x\n/);
    expect(result).toContain('Continue this session: cca invoke "..." --session sess_1');
    expect(stdout).not.toContain('\r');

    expect(received).toHaveLength(1);
    const req = received[0] as Received;
    expect(req.headers.accept).toBe('text/event-stream');
    expect(req.headers['x-api-key']).toBe('cca_k');
    expect(JSON.parse(req.body)).toEqual({ prompt: 'Create hello.py', permission_mode: 'manual', max_budget_usd: 0.5 });
  });

  it("prints the result once: the agent's last text, which is the result, is not shown live too", async () => {
    const events = seedRun();
    // The run ends as Claude Code's do: its last text is the result, then usage and the stored files.
    events.splice(-3, 0, ev('assistant.text', { text: 'Created hello.py.' }));
    scenario = { events: events.map((e, i) => ({ ...e, id: i + 1 })) };
    const { code, stdout } = await run(invokeCommand, ['Create hello.py']);
    expect(code).toBe(0);
    expect(stdout.match(/Created hello\.py\./g)).toHaveLength(1);
    expect(stdout).toContain("I'll write the file"); // earlier text still shows
    expect(stdout).toMatch(/✔ stored hello\.py[^\n]*\nCreated hello\.py\.\n\nSuccess\.\n/);
  });

  it("prints a model failure once, on stderr, where the run's error goes", async () => {
    const failure = 'API Error: Connection error.';
    const failed = output({ success: false, stop_reason: 'error', result: failure, errors: [`server_error: ${failure}`] });
    scenario = {
      events: [
        ev('invocation.queued', { prompt: 'x' }),
        ev('invocation.started', { resumed: false }),
        ev('assistant.text', { text: failure }),
        ev('invocation.completed', { status: 'failed', output: failed }),
      ],
    };
    const { code, stdout, stderr } = await run(invokeCommand, ['x']);
    expect(code).toBe(3);
    expect(`${stdout}${stderr}`.split(failure)).toHaveLength(2);
    expect(stderr).toBe(`cca: run error: server_error: ${failure}\n`);
    expect(stdout).toMatch(/^· started session sess_1\nFailed \(error\)\.\n/);
  });

  it('says "queued" only when the run waits for a slot, and why', async () => {
    scenario = {
      events: [
        ev('invocation.queued', { prompt: 'x', waiting: 'key_max_concurrent' }),
        ev('invocation.started', { resumed: false }),
        ev('invocation.completed', { status: 'succeeded', output: output() }),
      ],
    };
    const { stdout } = await run(invokeCommand, ['x']);
    expect(stdout).toMatch(/^· queued: this API key already runs its max_concurrent runs; it starts when one of them ends\n· started/);
    scenario = { events: [ev('invocation.queued', { prompt: 'x', waiting: 'service_busy' }), ...scenario.events.slice(1)] };
    expect((await run(invokeCommand, ['x'])).stdout).toMatch(/^· queued: every run slot of the service is busy/);
  });

  it('lists the first stored files live and counts the rest: 300 files print a screenful, not 600 lines', async () => {
    const files = Array.from({ length: 300 }, (_, i) => ({ file_name: `f${i + 1}.txt`, size: 4, download_url: `http://files/f${i + 1}` }));
    scenario = {
      events: [
        ev('invocation.queued', { prompt: 'x' }),
        ev('invocation.started', { resumed: false }),
        ev('tool.call', { tool_use_id: 't1', tool: 'Bash', summary: 'make 300 files', input: '{}' }),
        ...files.map((f) => ev('file.stored', { ...f, key: `outputs/x/${f.file_name}` })),
        ev('invocation.completed', {
          status: 'succeeded',
          output: output({
            result: 'Made 300 files.',
            metadata: {
              duration_ms: 1,
              num_turns: 2,
              uploaded_files: files,
              uploaded_files_total: 300,
              storage_prefix: 'outputs/20250601_180000_ab12cd34',
            },
          }),
        }),
      ],
    };
    const { code, stdout } = await run(invokeCommand, ['x']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.length).toBeLessThan(40);
    expect(lines.filter((l) => l.startsWith('✔ stored '))).toHaveLength(10);
    expect(stdout).toContain('✔ stored f10.txt (4 B)  http://files/f10\n· more files are being stored; the result counts them all\n');
    expect(stdout).toContain('Stored files (300, 1.2 KiB) under outputs/20250601_180000_ab12cd34:');
    expect(stdout).toContain('  ... and 290 more.');
    expect(stdout).toContain(`curl -s '${base}/sessions/sess_1/files?invocation_id=inv_1&limit=1000' -H "x-api-key: $CCA_API_KEY"`);
    expect(stdout).toContain('cca download 20250601_180000_ab12cd34');
  });

  it('resumes a dropped stream with Last-Event-ID and prints no event twice', async () => {
    scenario = { events: seedRun(), invokeDropAfter: 4, resumes: [{ dropAfter: 3 }, { status: 503 }, undefined], overlap: 2 };
    const { code, stdout, stderr } = await run(invokeCommand, ['Create hello.py']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const gets = received.filter((r) => r.method === 'GET');
    expect(gets.map((r) => r.url)).toEqual(['/sessions/sess_1/events', '/sessions/sess_1/events', '/sessions/sess_1/events']);
    // Four events came whole before the first break; the resumed stream resent 3 and 4, then gave
    // one new event before the second break; the 503 changes nothing.
    expect(gets.map((r) => r.headers['last-event-id'])).toEqual(['4', '5', '5']);
    expect(gets.every((r) => r.headers['x-api-key'] === 'cca_k')).toBe(true);
    const lines = stdout.split('\n');
    for (const line of PROGRESS) expect(lines.filter((l) => l === line)).toHaveLength(1);
    expect(stdout.match(/reconnecting in/g)).toHaveLength(3);
    expect(stdout).toMatch(/… the connection dropped \([^)]*\); reconnecting in 0\.0 s \(attempt 1 of 3\)\n/);
    expect(stdout).toContain('… the service answered 503; reconnecting in 0.0 s (attempt 2 of 3)\n');
    expect(stdout.match(/Success\./g)).toHaveLength(1);
  });

  it('resumes a stream that went silent (a half-open connection) without counting it as a failure', async () => {
    // The first stream stops after 3 events and stays open with nothing more; the resumed one ends the run.
    scenario = { events: seedRun(), resumes: [undefined] };
    let first = true;
    scenario.holdAfter = () => {
      const hold = first;
      first = false;
      return hold ? 3 : undefined;
    };
    const { code, stdout, stderr } = await run(invokeCommand, ['Create hello.py'], { ctx: { idleTimeoutMs: 150, retryDelaysMs: [5] } });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('… the stream went silent (nothing received for 0.1 s); reconnecting in 0.0 s (attempt 1 of 1)\n');
    expect(received.filter((r) => r.method === 'GET').map((r) => r.headers['last-event-id'])).toEqual(['3']);
    expect(stdout.match(/Success\./g)).toHaveLength(1);
  });

  it('gives up after the attempts, saying the run goes on and how to watch it (exit 1)', async () => {
    scenario = { events: seedRun(), invokeDropAfter: 2, resumes: [{ status: 503 }, { status: 502 }, { status: 500 }] };
    const { code, stderr } = await run(invokeCommand, ['Create hello.py']);
    expect(code).toBe(1);
    expect(stderr).toBe(
      "cca: lost the run's event stream: the service answered 500; gave up after 3 attempts.\n" +
        '  The run goes on on the service: watch it with cca session sess_1 --watch, or cancel it with cca cancel sess_1.\n',
    );
  });

  it('stops at a refusal to resume (404) without retrying', async () => {
    scenario = { events: seedRun(), invokeDropAfter: 2, resumes: [{ status: 404 }] };
    const { code, stderr } = await run(invokeCommand, ['Create hello.py']);
    expect(code).toBe(1);
    expect(stderr).toContain('the service refused to resume: Session sess_1 was not found (404): list yours with cca sessions.');
    expect(received.filter((r) => r.method === 'GET')).toHaveLength(1);
  });

  it('cannot resume a stream that broke before the first event (exit 1)', async () => {
    scenario = { events: seedRun(), invokeDropAfter: 0 };
    const { code, stderr } = await run(invokeCommand, ['Create hello.py']);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /the connection dropped .* before the service sent any event\.\n {2}The run goes on on the service: find the session with cca sessions\./,
    );
    expect(received.filter((r) => r.method === 'GET')).toHaveLength(0);
  });

  it('--json prints the final output JSON only; approval requests go to stderr', async () => {
    scenario = { events: seedRun() };
    const { code, stdout, stderr } = await run(invokeCommand, ['Create hello.py', '--json']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${JSON.stringify(output())}\n`);
    expect(stderr).toBe(`${PROGRESS[3]}\n${PROGRESS[4]}\n`);
  });

  it('exits 3 with the errors on stderr when the run ended without success', async () => {
    const failed = output({ success: false, stop_reason: 'max_turns', errors: ['Reached the maximum of 3 turns.'] });
    scenario = { events: seedRun(failed) };
    const { code, stdout, stderr } = await run(invokeCommand, ['Create hello.py']);
    expect(code).toBe(3);
    expect(stdout).toContain('Failed (max_turns).');
    expect(stderr).toBe('cca: run error: Reached the maximum of 3 turns.\n');
  });

  it('exits 3 when the run ended without any output', async () => {
    scenario = { events: [ev('invocation.queued', { prompt: 'x' }), ev('invocation.completed', { status: 'interrupted', output: null })] };
    const { code, stderr } = await run(invokeCommand, ['x']);
    expect(code).toBe(3);
    expect(stderr).toBe('cca: invocation inv_1 ended interrupted without a result.\n');
  });

  it('reports a refusal before the stream as cca api does (exit 1)', async () => {
    scenario = { events: [], invokeReply: { status: 403, body: '{"message":"Forbidden"}' } };
    const { code, stdout, stderr } = await run(invokeCommand, ['x']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^cca: The API key was refused \(403 Forbidden\)/);
  });

  it('prints a whole JSON result from a service that does not stream', async () => {
    scenario = { events: [], invokeReply: { status: 200, body: JSON.stringify(output()) } };
    const { code, stdout } = await run(invokeCommand, ['x']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Created hello\.py\.\n\nSuccess\.\n/);
  });

  it('--async starts the run and prints the ids and links (exit 0)', async () => {
    scenario = { events: [] };
    const { code, stdout } = await run(invokeCommand, ['x', '--async']);
    expect(code).toBe(0);
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({ prompt: 'x', async: true });
    expect(received[0]?.headers.accept).toBe('application/json');
    expect(stdout).toBe(
      'Started; the run goes on on the service.\n' +
        '  session:     sess_1\n' +
        '  invocation:  inv_1\n' +
        `  status:      ${base}/sessions/sess_1\n` +
        `  events:      ${base}/sessions/sess_1/events\n` +
        'Watch it:   cca session sess_1 --watch\n' +
        'Cancel it:  cca cancel sess_1\n',
    );
  });

  it('sends --allowed-domains as allowed_domains', async () => {
    scenario = { events: [] };
    const { code } = await run(invokeCommand, ['x', '--async', '--allowed-domains', 'github.com,*.pypi.org']);
    expect(code).toBe(0);
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({ prompt: 'x', allowed_domains: 'github.com,*.pypi.org', async: true });
  });

  it('--async --json prints the 202 body as received', async () => {
    scenario = { events: [] };
    const { code, stdout } = await run(invokeCommand, ['x', '--async', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      session_id: 'sess_1',
      invocation_id: 'inv_1',
      status_url: `${base}/sessions/sess_1`,
      events_url: `${base}/sessions/sess_1/events`,
    });
  });

  it('Ctrl-C stops watching, says how to watch again or cancel, exits 130, and cancels nothing', async () => {
    scenario = { events: seedRun().slice(0, 4), hold: true };
    let press: () => void = () => undefined;
    let unsubscribed = false;
    const onInterrupt = (handler: () => void) => {
      press = handler;
      return () => void (unsubscribed = true);
    };
    const { code, stdout, stderr } = await run(invokeCommand, ['x'], {
      ctx: { onInterrupt },
      onStdout: (all) => {
        if (all.includes('→ Write')) press();
      },
    });
    expect(code).toBe(130);
    expect(stdout).toContain('→ Write  hello.py');
    expect(stderr).toBe(
      'Stopped watching; the run goes on on the service.\n  Watch it again:  cca session sess_1 --watch\n  Cancel it:       cca cancel sess_1\n',
    );
    expect(unsubscribed).toBe(true);
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /invoke']);
  });

  it('on a terminal draws a spinner with the elapsed time and clears it before each line', async () => {
    scenario = { events: seedRun() };
    let ms = 0;
    const { code, stdout, stdoutNow } = await run(invokeCommand, ['x'], { tty: true, ctx: { clock: () => (ms += 1000) } });
    expect(code).toBe(0);
    expect(stdout.startsWith('\r\x1b[K⠋ starting 1.0 s')).toBe(true);
    expect(stdout).toMatch(/\r\x1b\[K→ Bash {2}python hello\.py\n\r\x1b\[K[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] running \d+\.0 s/);
    expect(stdout).toContain("\x1b[2mI'll write the file — naïve 日本語 first.\x1b[22m\n");
    expect(stdout).toMatch(/\r\x1b\[KCreated hello\.py\.\n\nSuccess\.\n/);
    // The spinner is gone for good: nothing is drawn after the command returned.
    await pause(250);
    expect(stdoutNow()).toBe(stdout);
  });

  it('usage errors exit 2 and send nothing', async () => {
    for (const args of [[], ['x', '--max-budget', '0'], ['x', '--max-turns', 'many'], ['x', '--nope']]) {
      const { code } = await run(invokeCommand, args);
      expect(code).toBe(2);
    }
    expect(received).toHaveLength(0);
  });
});

describe('cca session --watch', () => {
  function detail(status: string) {
    return {
      session_id: 'sess_1',
      status,
      created_at: NOW,
      updated_at: NOW,
      invocation_count: 2,
      last_prompt: 'Run it',
      invocations: [
        {
          invocation_id: 'inv_1',
          status: 'succeeded',
          prompt: 'Create hello.py',
          started_at: NOW,
          ended_at: NOW,
          success: true,
          result: 'Done.',
          files: [],
        },
        { invocation_id: 'inv_2', status, prompt: 'Run it', started_at: NOW, ended_at: null, success: null, result: null, files: [] },
      ],
    };
  }
  const second = () => [
    ev('invocation.started', { resumed: true }, 'inv_2'),
    ev('tool.call', { tool_use_id: 't9', tool: 'Bash', summary: 'python hello.py', input: '{}' }, 'inv_2'),
    ev('invocation.completed', { status: 'succeeded', output: output({ invocation_id: 'inv_2', result: 'It printed hi.' }) }, 'inv_2'),
  ];

  it('shows the session, then follows only the running invocation to its end, resuming a broken stream', async () => {
    const first = seedRun();
    scenario = { events: [...first, ...second()], detail: detail('running'), resumes: [{ dropAfter: 13 }, undefined] };
    const { code, stdout, stderr } = await run(sessionCommand, ['sess_1', '--watch']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Session sess_1: running\n/);
    expect(stdout).toMatch(
      /\nWatching inv_2 \(Ctrl-C stops watching; the run goes on\):\n· resumed session sess_1\n… the connection dropped \(.*\); reconnecting .*\n→ Bash {2}python hello\.py\n/,
    );
    // The first invocation's replayed events are skipped.
    expect(stdout).not.toContain('→ Write');
    expect(stdout).toContain('It printed hi.\n\nSuccess.\n');
    const gets = received.filter((r) => r.url === '/sessions/sess_1/events');
    expect(gets.map((r) => r.headers['last-event-id'])).toEqual([undefined, '13']);
  });

  it('says so when nothing is running', async () => {
    scenario = { events: [], detail: detail('succeeded') };
    const { code, stdout } = await run(sessionCommand, ['sess_1', '--watch']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Nothing is running in session sess_1\.\n$/);
    expect(received.map((r) => r.url)).toEqual(['/sessions/sess_1']);
  });

  it('--json --watch prints the session once the run is over', async () => {
    scenario = { events: [...seedRun(), ...second()], detail: detail('running') };
    const { code, stdout } = await run(sessionCommand, ['sess_1', '--watch', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(detail('running'));
    expect(received.map((r) => r.url)).toEqual(['/sessions/sess_1', '/sessions/sess_1/events', '/sessions/sess_1']);
  });
});
