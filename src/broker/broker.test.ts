/**
 * The credential broker against real HTTP servers on 127.0.0.1 standing in for the model
 * endpoint: the credential swap, streaming, token refusals, and SigV4 signatures checked by
 * signing the received request again.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { SignatureV4 } from '@smithy/signature-v4';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ProviderConfig } from '../config/index.js';
import { silentLogger } from '../logging/index.js';
import { CredentialBroker } from './broker.js';
import { MAX_MODEL_BODY_BYTES, MAX_REQUESTS_IN_FLIGHT } from './forward.js';
import { brokeredEnv } from './child-env.js';
import { Sha256 } from './sha256.js';
import { bedrockUpstream, joinUrl, parseCustomHeaders } from './upstream.js';
import type { ResponseUsage } from './usage-tap.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A model endpoint that records requests; `answer` writes the response. */
async function endpoint(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_q, r) => r.end('{"ok":true}')) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function anthropic(baseUrl: string, extra: Record<string, string> = {}): ProviderConfig {
  return {
    kind: 'anthropic',
    env: { ANTHROPIC_BASE_URL: baseUrl, ANTHROPIC_API_KEY: 'sk-real-key', ...extra },
    defaultModel: undefined,
    endpoint: baseUrl,
  };
}

function broker(provider: ProviderConfig): CredentialBroker {
  const b = new CredentialBroker(provider, silentLogger());
  closers.push(() => b.close());
  return b;
}

/** Sends a request to the broker's shared listener. */
async function send(
  origin: string,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const res = await fetch(origin + path, { method: opts.method ?? 'POST', headers: opts.headers ?? {}, body: opts.body ?? null });
  return { status: res.status, headers: Object.fromEntries(res.headers) as http.IncomingHttpHeaders, body: await res.text() };
}

describe('the broker on an Anthropic-compatible endpoint', () => {
  it('replaces whatever key the run sends with the operator’s, keeps the request, and adds the custom headers', async () => {
    const model = await endpoint();
    const real = broker(anthropic(`${model.url}/gateway/`, { ANTHROPIC_CUSTOM_HEADERS: 'X-Gateway-Secret: s3cret\nBad Header: no' }));
    const run = real.openRun('inv-1');
    const origin = await real.sharedOrigin();
    const env = run.env(origin);
    expect(env.ANTHROPIC_BASE_URL).toBe(`${origin}/cca-run/${run.token}`);
    const res = await send(env.ANTHROPIC_BASE_URL!, '/v1/messages?beta=true', {
      headers: {
        'x-api-key': run.token,
        authorization: 'Bearer stolen',
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
      },
      body: '{"model":"m","messages":[]}',
    });
    expect(res).toMatchObject({ status: 200, body: '{"ok":true}' });
    const got = model.seen[0]!;
    expect(got.url).toBe('/gateway/v1/messages?beta=true');
    expect(got.body).toBe('{"model":"m","messages":[]}');
    expect(got.headers['x-api-key']).toBe('sk-real-key');
    expect(got.headers.authorization).toBeUndefined();
    expect(got.headers['x-gateway-secret']).toBe('s3cret');
    expect(got.headers['anthropic-version']).toBe('2023-06-01');
    run.close();
  });

  it('sends ANTHROPIC_AUTH_TOKEN as a bearer token', async () => {
    const model = await endpoint();
    const b = broker({ kind: 'anthropic', env: { ANTHROPIC_AUTH_TOKEN: 'tok-real' }, defaultModel: undefined, endpoint: model.url });
    const run = b.openRun('inv-1');
    await send(run.env(await b.sharedOrigin()).ANTHROPIC_BASE_URL!, '/v1/messages', { body: '{}' });
    expect(model.seen[0]!.headers.authorization).toBe('Bearer tok-real');
    expect(model.seen[0]!.headers['x-api-key']).toBeUndefined();
  });

  it('streams the answer as it comes: the first event arrives before the endpoint sends the rest', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const model = await endpoint((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message_start\ndata: {}\n\n');
      void released.then(() => res.end('event: message_stop\ndata: {}\n\n'));
    });
    const b = broker(anthropic(model.url));
    const run = b.openRun('inv-1');
    const res = await fetch(`${run.env(await b.sharedOrigin()).ANTHROPIC_BASE_URL}/v1/messages`, { method: 'POST', body: '{}' });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toBe('event: message_start\ndata: {}\n\n');
    release();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe('event: message_stop\ndata: {}\n\n');
  });

  it('refuses a missing, forged or ended token with a 401 the Anthropic client reports, and never calls the endpoint', async () => {
    const model = await endpoint();
    const b = broker(anthropic(model.url));
    const origin = await b.sharedOrigin();
    const run = b.openRun('inv-1');
    for (const path of ['/v1/messages', '/cca-run/cca-run-forged/v1/messages', `/cca-run/${run.token}x/v1/messages`]) {
      const res = await send(origin, path, { body: '{}' });
      expect(res.status, path).toBe(401);
      expect(JSON.parse(res.body)).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    }
    run.close();
    const late = await send(origin, `/cca-run/${run.token}/v1/messages`, { body: '{}' });
    expect(late.status).toBe(401);
    expect(JSON.parse(late.body).error.message).toMatch(/belongs to a run that has ended/);
    expect(model.seen).toHaveLength(0);
  });

  it('answers a run’s handler only for that run’s token', async () => {
    const model = await endpoint();
    const b = broker(anthropic(model.url));
    const a = b.openRun('inv-a');
    const other = b.openRun('inv-b');
    const server = http.createServer(a.handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await send(origin, `/cca-run/${other.token}/v1/messages`, { body: '{}' })).status).toBe(401);
    expect((await send(origin, `/cca-run/${a.token}/v1/messages`, { body: '{}' })).status).toBe(200);
    expect(model.seen).toHaveLength(1);
    expect(b.tokens.use(a.token)).toEqual({ ok: true, runId: 'inv-a' });
  });

  it('sends a request again on a new connection when the endpoint dropped the kept-alive one it reused', async () => {
    const perSocket = new WeakMap<object, number>();
    let served = 0;
    const model = await endpoint((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      // The second request on a connection finds it closed, as when an idle timeout strikes.
      if (n === 2) return req.socket.destroy();
      served += 1;
      res.end(`answer ${served}`);
    });
    const b = broker(anthropic(model.url));
    const run = b.openRun('inv-1');
    const base = run.env(await b.sharedOrigin()).ANTHROPIC_BASE_URL!;
    expect(await send(base, '/v1/messages', { body: '{"n":1}' })).toMatchObject({ status: 200, body: 'answer 1' });
    expect(await send(base, '/v1/messages', { body: '{"n":2}' })).toMatchObject({ status: 200, body: 'answer 2' });
    expect(model.seen.map((s) => s.body)).toEqual(['{"n":1}', '{"n":2}', '{"n":2}']);
  });

  it('forwards only the calls Claude Code makes, never a path that climbs out of the base', async () => {
    const model = await endpoint();
    const b = broker(anthropic(`${model.url}/gateway`));
    const run = b.openRun('inv-1');
    const base = run.env(await b.sharedOrigin()).ANTHROPIC_BASE_URL!;
    for (const [method, path] of [
      ['GET', '/v1/files'],
      ['POST', '/v1/messages/batches'],
      ['DELETE', '/v1/messages'],
      ['POST', '/v1/messages/../files'],
      ['POST', '/v1/%2e%2e/key/generate'],
      ['POST', '/v1//messages'],
      ['POST', '/key/generate'],
    ] as const) {
      const res = await send(base, path, { method, ...(method === 'GET' ? {} : { body: '{}' }) });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(JSON.parse(res.body).error).toMatchObject({ type: 'permission_error' });
    }
    expect(model.seen).toHaveLength(0);
    expect((await send(base, '/v1/messages/count_tokens', { body: '{}' })).status).toBe(200);
    expect((await send(base, '/v1/models', { method: 'GET' })).status).toBe(200);
  });

  it('holds at most a few requests of a run at once, and refuses a body over the API’s limit before reading it', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const model = await endpoint((_req, res) => void released.then(() => res.end('{}')));
    const b = broker(anthropic(model.url));
    const run = b.openRun('inv-1');
    const base = run.env(await b.sharedOrigin()).ANTHROPIC_BASE_URL!;
    const held = Array.from({ length: MAX_REQUESTS_IN_FLIGHT }, () => send(base, '/v1/messages', { body: '{}' }));
    while (model.seen.length < MAX_REQUESTS_IN_FLIGHT) await new Promise((r) => setTimeout(r, 20));
    const over = await send(base, '/v1/messages', { body: '{}' });
    expect(over.status).toBe(429);
    release();
    expect((await Promise.all(held)).map((r) => r.status)).toEqual(Array(MAX_REQUESTS_IN_FLIGHT).fill(200));
    // Once they are answered, the run may send again.
    expect((await send(base, '/v1/messages', { body: '{}' })).status).toBe(200);
    const big = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${base}/v1/messages`);
      const req = http.request(url, { method: 'POST', headers: { 'content-length': String(MAX_MODEL_BODY_BYTES + 1) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{');
    });
    expect(big).toBe(413);
  });

  it('answers 502 in the API’s shape when the endpoint is down', async () => {
    const b = broker(anthropic('http://127.0.0.1:1'));
    const run = b.openRun('inv-1');
    const res = await send(run.env(await b.sharedOrigin()).ANTHROPIC_BASE_URL!, '/v1/messages', { body: '{}' });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body).error.message).toMatch(/^cca broker: The model endpoint did not answer: .*ECONNREFUSED/);
  });
});

describe('metering a run at the broker', () => {
  it('reports the usage of each answer to the run’s observer, asks for it uncompressed, and refuses calls once the observer says so', async () => {
    const model = await endpoint((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const events = [
        { type: 'message_start', message: { model: 'claude-haiku-4-5', usage: { input_tokens: 1000, output_tokens: 1 } } },
        { type: 'message_delta', usage: { output_tokens: 50 } },
        { type: 'message_stop' },
      ];
      res.end(events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join(''));
    });
    const b = broker(anthropic(model.url));
    const reports: { callId: number; model: string | undefined; output: number | undefined }[] = [];
    let refusal: string | undefined;
    const run = b.openRun('inv-metered', {
      onUsage: (callId, m, usage) => reports.push({ callId, model: m, output: usage.output_tokens }),
      refusal: () => refusal,
    });
    const base = run.env(await b.sharedOrigin()).ANTHROPIC_BASE_URL!;
    const headers = { 'accept-encoding': 'gzip, br, zstd' };
    expect((await send(base, '/v1/messages', { body: '{}', headers })).status).toBe(200);
    expect((await send(base, '/v1/messages', { body: '{}', headers })).status).toBe(200);
    expect(model.seen.map((r) => r.headers['accept-encoding'])).toEqual(['identity', 'identity']);
    const [first, second] = [...new Set(reports.map((r) => r.callId))];
    expect(reports).toEqual([
      { callId: first, model: 'claude-haiku-4-5', output: 1 },
      { callId: first, model: 'claude-haiku-4-5', output: 50 },
      { callId: second, model: 'claude-haiku-4-5', output: 1 },
      { callId: second, model: 'claude-haiku-4-5', output: 50 },
    ]);
    expect(first).not.toBe(second);

    refusal = 'This run has spent its budget';
    const refused = await send(base, '/v1/messages', { body: '{}' });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body)).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('spent its budget') },
    });
    expect(model.seen).toHaveLength(2);
    run.close();
  });

  it('charges the input of a call the run hung up on before the answer began, and nothing for one the endpoint failed', async () => {
    let arrived!: () => void;
    const atEndpoint = new Promise<void>((resolve) => (arrived = resolve));
    // Never answers: the run gives up first.
    const model = await endpoint(() => arrived());
    const b = broker(anthropic(model.url));
    const reports: { input: number | undefined; output: number | undefined }[] = [];
    const run = b.openRun('inv-gone', {
      onUsage: (_id, _m, usage) => reports.push({ input: usage.input_tokens, output: usage.output_tokens }),
      refusal: () => undefined,
    });
    const base = run.env(await b.sharedOrigin()).ANTHROPIC_BASE_URL!;
    const prompt = JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(30_000) }] });
    const req = http.request(base + '/v1/messages', { method: 'POST', headers: { 'content-length': Buffer.byteLength(prompt) } });
    req.on('error', () => undefined);
    req.end(prompt);
    await atEndpoint;
    req.destroy();
    await vi.waitFor(() => expect(reports).toHaveLength(1));
    expect(reports).toEqual([{ input: Math.ceil(Buffer.byteLength(prompt) / 3), output: 0 }]);
    run.close();

    // An endpoint that is down answers 502 to a run still waiting: no call was made, nothing is charged.
    const down = broker(anthropic('http://127.0.0.1:1'));
    const seen: unknown[] = [];
    const other = down.openRun('inv-down', { onUsage: (...args) => seen.push(args), refusal: () => undefined });
    expect((await send(other.env(await down.sharedOrigin()).ANTHROPIC_BASE_URL!, '/v1/messages', { body: prompt })).status).toBe(502);
    expect(seen).toEqual([]);
    other.close();
  });

  it('meters a messages call whose query names count_tokens: only the path makes a token count', async () => {
    const model = await endpoint((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'message', model: 'claude-haiku-4-5', usage: { input_tokens: 700, output_tokens: 30 } }));
    });
    const b = broker(anthropic(model.url));
    const reports: { input: number | undefined; output: number | undefined }[] = [];
    const run = b.openRun('inv-query', {
      onUsage: (_id, _m, usage) => reports.push({ input: usage.input_tokens, output: usage.output_tokens }),
      refusal: () => undefined,
    });
    const base = run.env(await b.sharedOrigin()).ANTHROPIC_BASE_URL!;
    expect((await send(base, '/v1/messages?beta=true&x=/count_tokens', { body: '{}' })).status).toBe(200);
    expect(reports).toEqual([{ input: 700, output: 30 }]);
    // A real token count costs nothing and is not metered.
    expect((await send(base, '/v1/messages/count_tokens?beta=true', { body: '{}' })).status).toBe(200);
    expect(reports).toHaveLength(1);
    run.close();
  });
});

describe('metering answers that end without their usage', () => {
  const start = { type: 'message_start', message: { model: 'claude-haiku-4-5', usage: { input_tokens: 1000, output_tokens: 1 } } };
  /** 20 KB of text in 20 deltas: a cut read of it must be charged at least 20 480 / 3 output tokens. */
  const deltas = Array.from({ length: 20 }, () => ({
    type: 'content_block_delta',
    index: 0,
    delta: { type: 'text_delta', text: 'x'.repeat(1024) },
  }));
  const sse = (events: unknown[]) => events.map((e) => `event: ${(e as { type: string }).type}\ndata: ${JSON.stringify(e)}\n\n`).join('');
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const frames = (events: unknown[]) =>
    Buffer.concat(
      events.map((e) =>
        codec.encode({
          headers: { ':message-type': { type: 'string', value: 'event' }, ':event-type': { type: 'string', value: 'chunk' } },
          body: fromUtf8(JSON.stringify({ bytes: Buffer.from(JSON.stringify(e)).toString('base64') })),
        }),
      ),
    );
  const bedrockAt = (url: string): ProviderConfig => ({
    kind: 'bedrock',
    env: { CLAUDE_CODE_USE_BEDROCK: '1', AWS_REGION: 'eu-west-1', ANTHROPIC_BEDROCK_BASE_URL: url, AWS_BEARER_TOKEN_BEDROCK: 'k' },
    defaultModel: undefined,
    endpoint: url,
  });

  /** An endpoint that streams `head` and then holds the answer open; `closed` resolves when the broker lets go of it. */
  async function stalling(type: string, head: Buffer | string) {
    let closed!: () => void;
    const gone = new Promise<void>((resolve) => (closed = resolve));
    const model = await endpoint((_req, res) => {
      res.on('close', closed);
      res.writeHead(200, { 'content-type': type });
      res.write(head);
    });
    return { model, gone };
  }

  /** Opens a metered run on `provider` and reads `path`'s answer until `bytes` have come (all the endpoint sent), then hangs up or leaves it open. */
  async function readPart(provider: ProviderConfig, path: string, bytes: number, hangUp = true) {
    const b = broker(provider);
    const reports: { callId: number; model: string | undefined; usage: ResponseUsage }[] = [];
    const run = b.openRun('inv-cut', {
      onUsage: (callId, model, usage) => reports.push({ callId, model, usage }),
      refusal: () => undefined,
    });
    const env = run.env(await b.sharedOrigin());
    const base = env.ANTHROPIC_BASE_URL ?? env.ANTHROPIC_BEDROCK_BASE_URL!;
    const body = '{"max_tokens":32000}';
    await new Promise<void>((resolve, reject) => {
      const req = http.request(base + path, { method: 'POST', headers: { 'content-length': body.length } }, (res) => {
        let got = 0;
        res.on('data', (chunk: Buffer) => {
          got += chunk.length;
          if (got < bytes) return;
          res.removeAllListeners('data');
          if (hangUp) req.destroy();
          resolve();
        });
      });
      req.on('error', (err) => (hangUp ? undefined : reject(err)));
      // First: the endpoint's server closes only once this connection is gone.
      closers.unshift(async () => void req.destroy());
      req.end(body);
    });
    return { run, reports };
  }

  it('charges a stream the run hung up on before its usage for the content that streamed (Anthropic SSE)', async () => {
    const head = sse([start, ...deltas]);
    const { model, gone } = await stalling('text/event-stream', head);
    const { reports } = await readPart(anthropic(model.url), '/v1/messages', head.length);
    await gone;
    const last = reports.at(-1)!;
    expect(last.model).toBe('claude-haiku-4-5');
    expect(last.usage).toMatchObject({ input_tokens: 1000 });
    expect(last.usage.output_tokens).toBeGreaterThanOrEqual(Math.ceil((20 * 1024) / 3));
    expect(new Set(reports.map((r) => r.callId)).size).toBe(1);
  });

  it('does the same for Bedrock event-stream frames, priced as the model in the path', async () => {
    const bare = { ...start, message: { usage: start.message.usage } };
    const head = frames([bare, ...deltas]);
    const { model, gone } = await stalling('application/vnd.amazon.eventstream', head);
    const { reports } = await readPart(
      bedrockAt(model.url),
      '/model/eu.anthropic.claude-haiku-4-5-v1:0/invoke-with-response-stream',
      head.length,
    );
    await gone;
    expect(reports.at(-1)!.model).toBe('eu.anthropic.claude-haiku-4-5-v1:0');
    expect(reports.at(-1)!.usage.output_tokens).toBeGreaterThanOrEqual(Math.ceil((20 * 1024) / 3));
  });

  it('charges what streamed when the run ends with the answer under way, before its token is gone', async () => {
    const head = sse([start, ...deltas]);
    const { model } = await stalling('text/event-stream', head);
    const { run, reports } = await readPart(anthropic(model.url), '/v1/messages', head.length, false);
    expect(reports.map((r) => r.usage.output_tokens)).toEqual([1]);
    run.close();
    expect(reports.at(-1)!.usage.output_tokens).toBeGreaterThanOrEqual(Math.ceil((20 * 1024) / 3));
  });

  it('charges an answer whose usage it cannot read an estimate from its bytes and the request’s', async () => {
    const answer = JSON.stringify({ generation: 'y'.repeat(3000), prompt_token_count: 10, generation_token_count: 700 });
    const model = await endpoint((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(answer));
    const b = broker(bedrockAt(model.url));
    const reports: { model: string | undefined; usage: ResponseUsage }[] = [];
    const run = b.openRun('inv-llama', { onUsage: (_id, m, usage) => reports.push({ model: m, usage }), refusal: () => undefined });
    const body = JSON.stringify({ prompt: 'p'.repeat(900) });
    const res = await send(run.env(await b.sharedOrigin()).ANTHROPIC_BEDROCK_BASE_URL!, '/model/meta.llama3-70b-instruct-v1:0/invoke', {
      body,
    });
    expect(res.body).toBe(answer);
    expect(reports).toEqual([
      {
        model: 'meta.llama3-70b-instruct-v1:0',
        usage: { input_tokens: Math.ceil(Buffer.byteLength(body) / 3), output_tokens: Math.ceil(answer.length / 3) },
      },
    ]);
  });
});

describe('the broker on Amazon Bedrock', () => {
  const bedrock = (env: Record<string, string>): ProviderConfig => ({
    kind: 'bedrock',
    env: { CLAUDE_CODE_USE_BEDROCK: '1', AWS_REGION: 'eu-west-1', ...env },
    defaultModel: undefined,
    endpoint: env.ANTHROPIC_BEDROCK_BASE_URL ?? 'https://bedrock-runtime.eu-west-1.amazonaws.com',
  });
  const credentials = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG', sessionToken: 'session-tok' };

  it('signs with SigV4 for bedrock in the region: the signature verifies when the received request is signed again', async () => {
    const model = await endpoint();
    const b = broker(
      bedrock({
        ANTHROPIC_BEDROCK_BASE_URL: model.url,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_SESSION_TOKEN: credentials.sessionToken,
      }),
    );
    const run = b.openRun('inv-1');
    const base = run.env(await b.sharedOrigin()).ANTHROPIC_BEDROCK_BASE_URL!;
    const path = '/model/eu.anthropic.claude-haiku-4-5-20251001-v1:0/invoke-with-response-stream';
    const res = await send(base, path, {
      headers: { 'content-type': 'application/json', authorization: 'forged' },
      body: '{"max_tokens":5}',
    });
    expect(res.status).toBe(200);
    const got = model.seen[0]!;
    expect(got.url).toBe(path);
    const auth = String(got.headers.authorization);
    const match =
      /^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE\/\d{8}\/eu-west-1\/bedrock\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
        auth,
      );
    expect(match, auth).not.toBeNull();
    expect(got.headers['x-amz-security-token']).toBe('session-tok');
    // Sign what arrived, with the same key and time: the signatures agree.
    const signedNames = match![1]!.split(';');
    const headers = Object.fromEntries(signedNames.map((n) => [n, String(got.headers[n])]));
    const url = new URL(model.url + got.url);
    const amzDate = String(got.headers['x-amz-date']);
    const when = new Date(
      `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    );
    const again = await new SignatureV4({ service: 'bedrock', region: 'eu-west-1', credentials, sha256: Sha256 }).sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        query: {},
        headers,
        body: got.body,
      },
      { signingDate: when },
    );
    expect(String(again.headers.authorization)).toBe(auth);
  });

  it('sends model calls to bedrock-runtime and the start-up control-plane calls to bedrock, in the region', async () => {
    const up = bedrockUpstream(bedrock({}), () => credentials);
    const at = async (path: string) => (await up.prepare({ method: 'GET', path, headers: {}, body: Buffer.alloc(0) })).url.href;
    expect(await at('/model/m/invoke')).toBe('https://bedrock-runtime.eu-west-1.amazonaws.com/model/m/invoke');
    expect(await at('/inference-profiles?type=SYSTEM_DEFINED')).toBe(
      'https://bedrock.eu-west-1.amazonaws.com/inference-profiles?type=SYSTEM_DEFINED',
    );
  });

  it('uses a Bedrock API key as a bearer token instead of signing', async () => {
    const up = bedrockUpstream(bedrock({ AWS_BEARER_TOKEN_BEDROCK: 'bedrock-api-key' }), () => credentials);
    const { headers } = await up.prepare({ method: 'POST', path: '/model/m/invoke', headers: {}, body: Buffer.from('{}') });
    expect(headers.authorization).toBe('Bearer bedrock-api-key');
  });
});

describe('what a run sees', () => {
  it('gets the broker’s URL and its token, and no credential of the operator', () => {
    const secrets = {
      ANTHROPIC_API_KEY: 'sk-real',
      ANTHROPIC_AUTH_TOKEN: 'tok-real',
      ANTHROPIC_CUSTOM_HEADERS: 'X-Secret: s',
      AWS_ACCESS_KEY_ID: 'AKIA-real',
      AWS_SECRET_ACCESS_KEY: 'aws-secret',
      AWS_SESSION_TOKEN: 'aws-session',
      AWS_BEARER_TOKEN_BEDROCK: 'bedrock-key',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/creds',
    };
    for (const kind of ['anthropic', 'bedrock'] as const) {
      const env = brokeredEnv(
        {
          kind,
          env: { ...secrets, AWS_REGION: 'us-west-2', ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-x' },
          defaultModel: undefined,
          endpoint: 'x',
        },
        'http://127.0.0.1:3128/cca-run/cca-run-t',
        'cca-run-t',
      );
      const seen = JSON.stringify(env);
      for (const secret of Object.values(secrets)) expect(seen, kind).not.toContain(secret);
      expect(env.ANTHROPIC_DEFAULT_SONNET_MODEL).toBe('sonnet-x');
      if (kind === 'bedrock') {
        expect(env).toMatchObject({ CLAUDE_CODE_USE_BEDROCK: '1', CLAUDE_CODE_SKIP_BEDROCK_AUTH: '1', AWS_REGION: 'us-west-2' });
      } else expect(env).toMatchObject({ ANTHROPIC_API_KEY: 'cca-run-t' });
    }
  });
});

describe('helpers', () => {
  it('joins a base with a path and its query', () => {
    expect(joinUrl('https://gw.example/anthropic/', '/v1/messages?beta=true').href).toBe(
      'https://gw.example/anthropic/v1/messages?beta=true',
    );
    expect(joinUrl('https://api.anthropic.com', '/v1/messages').href).toBe('https://api.anthropic.com/v1/messages');
  });

  it('reads ANTHROPIC_CUSTOM_HEADERS lines, skipping what is not a header', () => {
    expect(parseCustomHeaders('X-A: 1\r\nbad line\nX-B:two: parts\n: none')).toEqual({ 'x-a': '1', 'x-b': 'two: parts' });
  });
});
