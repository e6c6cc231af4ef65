import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { approveCommand } from './entries.js';
import { cancelCommand } from './entries.js';
import { sessionCommand } from './entries.js';
import { sessionsCommand } from './entries.js';
import type { CliIo } from './io.js';

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: http.IncomingHttpHeaders;
  body: string;
}
type Answer = { status: number; body: unknown };

/** A stand-in gateway: answers each `METHOD path?query` with what the test set, 404 otherwise. */
let server: http.Server;
let base: string;
let received: Received[] = [];
let answers: Record<string, Answer> = {};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = answers[`${req.method} ${req.url}`] ?? { status: 404, body: { message: 'Not found.', code: 'not_found' } };
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received = [];
  answers = {};
});

type Command = (args: string[], env: NodeJS.ProcessEnv, io: CliIo, ctx: { cwd: string }) => Promise<number>;

async function run(command: Command, args: string[], endpoint = base) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) };
  const code = await command(args, { CCA_ENDPOINT: endpoint, CCA_API_KEY: 'cca_k' }, io, { cwd: os.tmpdir() });
  return { code, stdout, stderr };
}

function row(n: number, overrides: Record<string, unknown> = {}) {
  return {
    session_id: `sess_${n}`,
    created_at: `2025-06-0${n}T10:00:00.000Z`,
    updated_at: `2025-06-0${n}T10:05:00.000Z`,
    status: 'succeeded',
    invocation_count: n,
    last_prompt: `Task number ${n}`,
    ...overrides,
  };
}

describe('cca sessions', () => {
  it('prints a table with the last prompt on one shortened line, and says when there are more', async () => {
    const long = `Build a FastAPI server\nwith a health check endpoint and ${'many '.repeat(20)}tests`;
    answers['GET /sessions?limit=2'] = {
      status: 200,
      body: { sessions: [row(2, { status: 'running', last_prompt: long }), row(1)], next_cursor: 'c1' },
    };
    const { code, stdout, stderr } = await run(sessionsCommand, ['--limit', '2']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(
      'SESSION  STATUS     CREATED               INVOCATIONS  LAST PROMPT\n' +
        'sess_2   running    2025-06-02 10:00:00Z            2  Build a FastAPI server with a health check endpoi…\n' +
        'sess_1   succeeded  2025-06-01 10:00:00Z            1  Task number 1\n' +
        'More sessions: cca sessions --all --limit 2\n',
    );
    expect(received[0]?.headers['x-api-key']).toBe('cca_k');
  });

  it('--all follows next_cursor through every page', async () => {
    answers['GET /sessions'] = { status: 200, body: { sessions: [row(3)], next_cursor: 'page 2/=' } };
    answers['GET /sessions?cursor=page+2%2F%3D'] = { status: 200, body: { sessions: [row(2)], next_cursor: 'p3' } };
    answers['GET /sessions?cursor=p3'] = { status: 200, body: { sessions: [row(1)], next_cursor: null } };
    const { code, stdout } = await run(sessionsCommand, ['--all']);
    expect(code).toBe(0);
    expect(received.map((r) => r.url)).toEqual(['/sessions', '/sessions?cursor=page+2%2F%3D', '/sessions?cursor=p3']);
    expect(
      stdout
        .split('\n')
        .filter((l) => l.startsWith('sess_'))
        .map((l) => l.split(' ')[0]),
    ).toEqual(['sess_3', 'sess_2', 'sess_1']);
    expect(stdout).not.toContain('More sessions');
  });

  it('--json prints the page as received; with --all, every session in one list', async () => {
    answers['GET /sessions'] = { status: 200, body: { sessions: [row(2, { extra: 'kept' })], next_cursor: 'p2' } };
    answers['GET /sessions?cursor=p2'] = { status: 200, body: { sessions: [row(1)], next_cursor: null } };
    const one = await run(sessionsCommand, ['--json']);
    expect(one.stdout).toBe(`${JSON.stringify({ sessions: [row(2, { extra: 'kept' })], next_cursor: 'p2' })}\n`);
    const all = await run(sessionsCommand, ['--json', '--all']);
    expect(JSON.parse(all.stdout)).toEqual({ sessions: [row(2, { extra: 'kept' }), row(1)], next_cursor: null });
  });

  it('with no sessions, says how to start one', async () => {
    answers['GET /sessions'] = { status: 200, body: { sessions: [], next_cursor: null } };
    const { code, stdout } = await run(sessionsCommand, []);
    expect(code).toBe(0);
    expect(stdout).toBe('No sessions yet. Start one with: cca invoke "Create a hello world Python script"\n');
  });

  it('uses the stage prefix of an API Gateway endpoint', async () => {
    answers['GET /prod/sessions'] = { status: 200, body: { sessions: [], next_cursor: null } };
    const { code } = await run(sessionsCommand, [], `${base}/prod/invoke`);
    expect(code).toBe(0);
    expect(received[0]?.url).toBe('/prod/sessions');
  });

  it('exits 1 on a refused key and 2 on a bad --limit', async () => {
    answers['GET /sessions'] = { status: 403, body: { message: 'Forbidden' } };
    const refused = await run(sessionsCommand, []);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^cca: The API key was refused \(403 Forbidden\)/);
    for (const limit of ['0', '101', 'x']) expect((await run(sessionsCommand, ['--limit', limit])).code).toBe(2);
  });
});

describe('cca session', () => {
  const detail = {
    ...row(1, { status: 'failed', invocation_count: 2 }),
    invocations: [
      {
        invocation_id: 'inv_a',
        status: 'succeeded',
        prompt: 'Create hello.py',
        started_at: '2025-06-01T10:00:00.000Z',
        ended_at: '2025-06-01T10:00:05.000Z',
        success: true,
        result: 'Created hello.py.',
        stop_reason: 'completed',
        model: 'claude-haiku-4-5',
        cost_usd: 0.01234,
        usage: null,
        num_turns: 3,
        duration_ms: 5000,
        files: [{ file_name: 'hello.py', size: 2048, download_url: 'http://x/files/hello.py?sig=1' }],
        skipped_files: [{ path: 'link', reason: 'symlink', detail: 'links are not followed' }],
        errors: [],
      },
      {
        invocation_id: 'inv_b',
        status: 'failed',
        prompt: 'Run it',
        started_at: '2025-06-01T10:01:00.000Z',
        ended_at: '2025-06-01T10:01:02.000Z',
        success: false,
        result: 'python: not found',
        stop_reason: 'error',
        model: null,
        cost_usd: null,
        usage: null,
        num_turns: null,
        duration_ms: null,
        files: [],
        skipped_files: [],
        errors: ['python: not found'],
      },
    ],
  };

  it('prints the status and each invocation with its result, cost, turns and file links', async () => {
    answers['GET /sessions/sess_1'] = { status: 200, body: detail };
    const { code, stdout } = await run(sessionCommand, ['sess_1']);
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        'Session sess_1: failed',
        '  created:      2025-06-01 10:00:00Z',
        '  updated:      2025-06-01 10:05:00Z',
        '  invocations:  2',
        '',
        '1. inv_a: succeeded (completed), 2025-06-01 10:00:00Z → 2025-06-01 10:00:05Z',
        '   prompt:  Create hello.py',
        '   result:  Created hello.py.',
        '   model claude-haiku-4-5, cost $0.0123, 3 turns, 5.0 s',
        '   files (1):',
        '     hello.py    2.0 KiB  http://x/files/hello.py?sig=1',
        '   skipped link: symlink (links are not followed)',
        '',
        '2. inv_b: failed (error), 2025-06-01 10:01:00Z → 2025-06-01 10:01:02Z',
        '   prompt:  Run it',
        '   result:  python: not found',
        '   error: python: not found',
        '',
      ].join('\n'),
    );
  });

  it('--json prints the session as received; an unknown id exits 1 naming it', async () => {
    answers['GET /sessions/sess_1'] = { status: 200, body: detail };
    expect((await run(sessionCommand, ['sess_1', '--json'])).stdout).toBe(`${JSON.stringify(detail)}\n`);
    const missing = await run(sessionCommand, ['sess/../x']);
    expect(received.at(-1)?.url).toBe('/sessions/sess%2F..%2Fx');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('cca: Session sess/../x was not found (404): list yours with cca sessions.\n');
  });

  it('needs exactly one id (exit 2)', async () => {
    expect((await run(sessionCommand, [])).code).toBe(2);
    expect((await run(sessionCommand, ['a', 'b'])).code).toBe(2);
  });
});

describe('cca cancel', () => {
  it('202: says it is cancelling and that files written so far are stored', async () => {
    answers['POST /sessions/sess_1/cancel'] = { status: 202, body: { session_id: 'sess_1', invocation_id: 'inv_9', status: 'cancelling' } };
    const { code, stdout } = await run(cancelCommand, ['sess_1']);
    expect(code).toBe(0);
    expect(stdout).toBe(
      'Cancelling invocation inv_9 in session sess_1; files written so far will be stored.\n  See how it ended: cca session sess_1 --watch\n',
    );
    expect(received[0]?.method).toBe('POST');
    expect(received[0]?.headers['x-api-key']).toBe('cca_k');
  });

  it('409: nothing is running (exit 1); 404: no such session (exit 1)', async () => {
    answers['POST /sessions/sess_1/cancel'] = { status: 409, body: { message: 'No invocation is running.', code: 'conflict' } };
    const idle = await run(cancelCommand, ['sess_1']);
    expect(idle.code).toBe(1);
    expect(idle.stdout).toBe('');
    expect(idle.stderr).toBe('cca: Nothing is running in session sess_1: there is nothing to cancel.\n');
    const missing = await run(cancelCommand, ['sess_2']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('cca: Session sess_2 was not found (404): list yours with cca sessions.\n');
  });
});

describe('cca approve', () => {
  const route = 'POST /sessions/sess_1/permissions/req_1';

  it('allows by default and denies with --deny, sending the message', async () => {
    answers[route] = { status: 200, body: { request_id: 'req_1', decision: 'allow' } };
    const allowed = await run(approveCommand, ['sess_1', 'req_1']);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toBe('Allowed request req_1 in session sess_1.\n');
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({ decision: 'allow' });

    answers[route] = { status: 200, body: { request_id: 'req_1', decision: 'deny' } };
    const denied = await run(approveCommand, ['sess_1', 'req_1', '--deny', '--message', 'Write it to src/ instead']);
    expect(denied.code).toBe(0);
    expect(denied.stdout).toBe('Denied request req_1 in session sess_1.\n');
    expect(JSON.parse(received[1]?.body ?? '')).toEqual({ decision: 'deny', message: 'Write it to src/ instead' });
  });

  it('404: no such request waiting; 409: already answered (exit 1 each)', async () => {
    const unknown = await run(approveCommand, ['sess_1', 'req_x']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      'cca: No permission request req_x is waiting in session sess_1 (404): check both ids, or the request may have expired. The service said: Not found.\n',
    );
    answers[route] = { status: 409, body: { message: 'Request req_1 was answered by timeout.', code: 'conflict' } };
    const twice = await run(approveCommand, ['sess_1', 'req_1']);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toBe(
      'cca: Permission request req_1 was already answered (409). The service said: Request req_1 was answered by timeout.\n',
    );
  });

  it('needs the session and the request id (exit 2, nothing sent)', async () => {
    const { code, stderr } = await run(approveCommand, ['sess_1']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/name the session and the request: cca approve SESSION_ID REQUEST_ID/);
    expect(received).toHaveLength(0);
  });
});
