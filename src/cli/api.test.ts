import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildRequestBody } from './api.js';
import { resolveApiKey, resolveEndpoint } from './connection.js';
import { apiCommand } from './entries.js';
import type { CliIo } from './io.js';

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}
type Answer = { status: number; body: string; headers?: Record<string, string> };

/** A stand-in gateway on 127.0.0.1: records each request, answers what the test set. */
let server: http.Server;
let base: string;
let received: Received[] = [];
let answer: Answer;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  received = [];
});

const NOW = new Date('2025-06-01T18:00:00.000Z');

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) };
  const code = await apiCommand(args, env, io, { now: () => NOW, cwd: os.tmpdir() });
  return { code, stdout, stderr };
}

function success(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    output: {
      success: true,
      result: 'Created hello.py.',
      session_id: 'sess_123',
      invocation_id: 'inv_1',
      timestamp: NOW.toISOString(),
      model: 'claude-haiku-4-5',
      stop_reason: 'success',
      cost_usd: 0.01234,
      errors: [],
      metadata: {
        duration_ms: 1500,
        num_turns: 3,
        storage_prefix: 'outputs/20250601_180000_ab12cd34/',
        uploaded_files: [
          {
            file_name: 'hello.py',
            size: 18,
            s3_url: 's3://b/k',
            console_url: 'https://console',
            download_url: `${base}/files/hello.py?sig=x`,
          },
        ],
        skipped_files: [{ path: 'big.bin', reason: 'too_large', detail: '200 MiB over the 100 MiB limit' }],
        failed_uploads: [],
      },
      ...overrides,
    },
  });
}

describe('resolveEndpoint', () => {
  it('takes the flag over CCA_ENDPOINT over the local default', () => {
    expect(resolveEndpoint(undefined, {}).href).toBe('http://127.0.0.1:8080/invoke');
    expect(resolveEndpoint(undefined, { CCA_ENDPOINT: 'http://env:1' }).href).toBe('http://env:1/invoke');
    expect(resolveEndpoint('http://flag:2', { CCA_ENDPOINT: 'http://env:1' }).href).toBe('http://flag:2/invoke');
  });

  it('appends /invoke only when the path does not already end in it', () => {
    const api = 'https://abc.execute-api.us-east-1.amazonaws.com';
    expect(resolveEndpoint(`${api}/prod`, {}).href).toBe(`${api}/prod/invoke`);
    expect(resolveEndpoint(`${api}/prod/`, {}).href).toBe(`${api}/prod/invoke`);
    expect(resolveEndpoint(`${api}/prod/invoke`, {}).href).toBe(`${api}/prod/invoke`);
    expect(resolveEndpoint(`${api}/prod/invoke/`, {}).href).toBe(`${api}/prod/invoke`);
    expect(resolveEndpoint(`${api}/invoker`, {}).href).toBe(`${api}/invoker/invoke`);
  });

  it('refuses what is not an http(s) URL', () => {
    expect(() => resolveEndpoint('localhost:8080', {})).toThrow(/must be an http\(s\) URL/);
    expect(() => resolveEndpoint('not a url', {})).toThrow(/must be an http\(s\) URL/);
  });
});

describe('resolveApiKey', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-api-key-'));
    await fs.writeFile(path.join(dir, '.api_key'), '  cca_file_key \n');
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('takes the flag over CCA_API_KEY over <data dir>/.api_key (trimmed)', () => {
    const dataDir = () => dir;
    expect(resolveApiKey('cca_flag', { CCA_API_KEY: 'cca_env' }, dataDir)).toBe('cca_flag');
    expect(resolveApiKey(undefined, { CCA_API_KEY: 'cca_env' }, dataDir)).toBe('cca_env');
    expect(resolveApiKey(undefined, { CCA_API_KEY: '  ' }, dataDir)).toBe('cca_file_key');
  });

  it('does not look for the data dir when a key is given', () => {
    const dataDir = () => {
      throw new Error('should not be called');
    };
    expect(resolveApiKey(undefined, { CCA_API_KEY: 'cca_env' }, dataDir)).toBe('cca_env');
  });

  it('says where it looked and how to get a key when there is none', () => {
    const empty = path.join(dir, 'nothing-here');
    expect(() => resolveApiKey(undefined, {}, () => empty)).toThrow(
      new RegExp(
        `--api-key, CCA_API_KEY and ${path.join(empty, '.api_key')} \\(not found\\)[\\s\\S]*cca keys create --name me[\\s\\S]*cca serve`,
      ),
    );
  });
});

describe('cca api against a local server', () => {
  it('sends any prompt byte-exact as JSON, with the key header and the mapped options', async () => {
    answer = { status: 200, body: success() };
    const prompt = 'Say "hi" \'there\' $(rm -rf ~) `id` ${HOME} \\ back\nslash\n\ttab; unicode: héllo 日本語 🚀 \u2028 end';
    const result = await run(
      [
        prompt,
        '--endpoint',
        base,
        '--permission-mode',
        'acceptAll',
        '--allowed-tools',
        'Bash,Read',
        '--session',
        'sess_9',
        '--max-turns',
        '7',
        '--timeout',
        '120',
      ],
      { CCA_API_KEY: 'cca_abc_secret' },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(received).toHaveLength(1);
    const req = received[0] as Received;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/invoke');
    expect(req.headers['x-api-key']).toBe('cca_abc_secret');
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    const expected = {
      prompt,
      permission_mode: 'acceptAll',
      allowed_tools: 'Bash,Read',
      session_id: 'sess_9',
      max_turns: 7,
      timeout_s: 120,
    };
    expect(JSON.parse(req.body.toString('utf8'))).toEqual(expected);
    expect(req.body.equals(Buffer.from(JSON.stringify(expected), 'utf8'))).toBe(true);
  });

  it('leaves out the options not given', () => {
    expect(JSON.parse(buildRequestBody('x', {}))).toEqual({ prompt: 'x' });
  });

  it('sends --mcp-servers as the mcp_servers array; "none" is []', () => {
    expect(JSON.parse(buildRequestBody('x', { 'mcp-servers': 'docs, gateway' }))).toEqual({
      prompt: 'x',
      mcp_servers: ['docs', 'gateway'],
    });
    expect(JSON.parse(buildRequestBody('x', { 'mcp-servers': 'none' }))).toEqual({ prompt: 'x', mcp_servers: [] });
  });

  it('sends --allowed-domains as allowed_domains, as given (the service parses it)', async () => {
    expect(JSON.parse(buildRequestBody('x', { 'allowed-domains': 'github.com,*.pypi.org' }))).toEqual({
      prompt: 'x',
      allowed_domains: 'github.com,*.pypi.org',
    });
    answer = { status: 200, body: success() };
    const result = await run(['task', '--endpoint', base, '--api-key', 'k', '--allowed-domains', 'none']);
    expect(result.code).toBe(0);
    expect(JSON.parse(received[0]?.body.toString('utf8') ?? '')).toEqual({ prompt: 'task', allowed_domains: 'none' });
  });

  it('reads the key from <data dir>/.api_key through CCA_DATA_DIR', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-api-dd-'));
    try {
      await fs.writeFile(path.join(dir, '.api_key'), 'cca_from_file\n');
      answer = { status: 200, body: success() };
      const result = await run(['task'], { CCA_ENDPOINT: `${base}/`, CCA_DATA_DIR: dir });
      expect(result.code).toBe(0);
      expect(received[0]?.headers['x-api-key']).toBe('cca_from_file');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('prints the result, the run facts and the stored and skipped files', async () => {
    answer = { status: 200, body: success() };
    const { code, stdout } = await run(['task', '--endpoint', base, '--api-key', 'k']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Created hello\.py\.\n\nSuccess\.\n/);
    expect(stdout).toMatch(/session: +sess_123\n/);
    expect(stdout).toMatch(/model: +claude-haiku-4-5\n/);
    expect(stdout).toMatch(/duration: +1\.5 s\n/);
    expect(stdout).toMatch(/turns: +3\n/);
    expect(stdout).toMatch(/cost: +\$0\.0123\n/);
    expect(stdout).toContain('Stored files (1, 18 B) under outputs/20250601_180000_ab12cd34/:');
    expect(stdout).toMatch(new RegExp(`hello\\.py +18 B +${base}/files/hello\\.py\\?sig=x\\n`));
    expect(stdout).toContain('Skipped files (1):\n  big.bin: too_large (200 MiB over the 100 MiB limit)\n');
  });

  it('--json prints the response body as received', async () => {
    answer = { status: 200, body: success() };
    const { code, stdout } = await run(['task', '--endpoint', base, '--api-key', 'k', '--json']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${success()}\n`);
  });

  it('exits 3 and prints the errors when the run completed without success', async () => {
    answer = { status: 200, body: success({ success: false, stop_reason: 'max_turns', errors: ['Reached the maximum of 7 turns.'] }) };
    const { code, stdout, stderr } = await run(['task', '--endpoint', base, '--api-key', 'k']);
    expect(code).toBe(3);
    expect(stdout).toContain('Failed (max_turns).');
    expect(stderr).toBe('cca: run error: Reached the maximum of 7 turns.\n');
  });

  it('exits 1 when a 200 carries something that is not an invocation result', async () => {
    answer = { status: 200, body: '<html>proxy</html>' };
    const { code, stderr } = await run(['task', '--endpoint', base, '--api-key', 'k']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/not an invocation result: <html>proxy<\/html>/);
  });
});

describe('cca api error answers', () => {
  const cases: [string, Answer, RegExp | string][] = [
    [
      '403 Forbidden',
      { status: 403, body: '{"message":"Forbidden"}' },
      'cca: The API key was refused (403 Forbidden): check --api-key / CCA_API_KEY / .api_key, or create one with cca keys create.\n',
    ],
    [
      '429 Too Many Requests',
      { status: 429, body: '{"message":"Too Many Requests"}', headers: { 'Retry-After': '3' } },
      /^cca: Rate limit reached for this API key \(429 Too Many Requests\): retry after 3 s \(Retry-After: 3\)\.\n$/,
    ],
    [
      '429 Limit Exceeded',
      // 18:00 UTC: six hours to midnight.
      { status: 429, body: '{"message":"Limit Exceeded"}', headers: { 'Retry-After': '21600' } },
      /^cca: The API key's daily quota is used up \(429 Limit Exceeded\): it resets at 2025-06-02T00:00:00\.000Z \(in 6 h 0 min\)/,
    ],
    [
      '413 Payload Too Large',
      { status: 413, body: '{"message":"The body is 2000000 bytes; the limit is 1048576.","code":"payload_too_large"}' },
      'cca: 413 Payload Too Large: The body is 2000000 bytes; the limit is 1048576.\n',
    ],
    [
      '400 Bad Request',
      { status: 400, body: '{"message":"permission_mode must be one of: acceptEdits, acceptAll, manual.","code":"invalid_request"}' },
      'cca: 400 Bad Request: permission_mode must be one of: acceptEdits, acceptAll, manual.\n',
    ],
    [
      '500 Internal Server Error',
      { status: 500, body: '{"message":"Internal error: the service logged the cause.","code":"internal"}' },
      'cca: The service failed (500 Internal Server Error): Internal error: the service logged the cause.\n',
    ],
    [
      '503 busy with Retry-After',
      { status: 503, body: '{"message":"Every run slot is taken","code":"busy"}', headers: { 'Retry-After': '5' } },
      'cca: The service failed (503 Service Unavailable): Every run slot is taken. Retry in 5 s.\n',
    ],
  ];

  it.each(cases)('%s: one message, exit 1, no stack trace', async (_name, reply, message) => {
    answer = reply;
    const { code, stdout, stderr } = await run(['task', '--endpoint', base, '--api-key', 'k']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    if (typeof message === 'string') expect(stderr).toBe(message);
    else expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('daily quota without Retry-After: resets at the next 00:00 UTC', async () => {
    answer = { status: 429, body: '{"message":"Limit Exceeded"}' };
    const { code, stderr } = await run(['task', '--endpoint', base, '--api-key', 'k']);
    expect(code).toBe(1);
    expect(stderr).toContain('resets at 2025-06-02T00:00:00.000Z (in 6 h 0 min)');
  });

  it('connection refused: says the service may not be running', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { code, stderr } = await run(['task', '--endpoint', `http://127.0.0.1:${port}`, '--api-key', 'k']);
    expect(code).toBe(1);
    expect(stderr).toBe(`cca: Cannot reach http://127.0.0.1:${port}/invoke: is the service running (npm start)?\n`);
  });
});

describe('cca api usage errors (exit 2, nothing sent)', () => {
  it.each([
    [[], /say what the agent should do/],
    [['two', 'words'], /pass the task as one quoted argument/],
    [['  '], /the task is empty/],
    [['task', '--max-turns', '1.5'], /--max-turns must be a positive integer; got "1\.5"/],
    [['task', '--timeout', 'soon'], /--timeout must be a number of seconds, at least 1; got "soon"/],
    [['task', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['task', '--endpoint', 'ftp://x'], /--endpoint \/ CCA_ENDPOINT must be an http\(s\) URL/],
  ])('%j', async (args, message) => {
    const { code, stderr } = await run([...args, '--api-key', 'k']);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(received).toHaveLength(0);
  });

  it('no key anywhere: exit 2 naming the file it looked for', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-api-nokey-'));
    try {
      const { code, stderr } = await run(['task', '--endpoint', base, '--data-dir', dir]);
      expect(code).toBe(2);
      expect(stderr).toContain(`${path.join(dir, '.api_key')} (not found)`);
      expect(stderr).toContain('cca keys create --name me');
      expect(received).toHaveLength(0);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
