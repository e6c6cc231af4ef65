/**
 * The API Lambda's session routes end to end: API Gateway events into the real handler, the real
 * BedrockAgentCoreClient to the local AgentCore data plane (InvokeAgentRuntime and
 * StopRuntimeSession in their wire format), the real runtime (`cca runtime` with S3 storage, the
 * real Claude Code binary, a scripted model) mirroring state, invocation records and the event log
 * to an S3-compatible server, which the Lambda reads back.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { EventStore, SessionEventSchema, type SessionEvent } from '../../src/events/index.js';
import { buildDeps, createHandler, loadLambdaConfig, type ApiHandler } from '../../src/lambda/index.js';
import { startAgentCorePeer, type AgentCorePeer } from '../support/agentcore-server.js';
import { apiEvent, parsed, type ApiRequest } from '../support/api-gateway.js';
import { recordingIo } from '../support/aws-fakes.js';
import { scenarios, text, toolUse } from '../support/model-server.js';
import { S3RVER_CREDENTIALS, startS3Server, type TestS3Server } from '../support/s3-server.js';
import { startTestService, type TestService } from '../support/service.js';
import { parseSseStream } from '../support/sse.js';

const ARN = 'arn:aws:bedrock-agentcore:ap-northeast-1:123456789012:runtime/cca_agent-AbCdEf1234';
const BUCKET = 'cca-lambda-sessions';
const PREFIX = 'team/agent';
const KEY_A = 'keyid-alice-0001';
const KEY_B = 'keyid-bob-0002';
const PY = 'print("Hello, World!")\n';
/** Sessions the peer sends to a port nothing listens on: a runtime that does not answer. */
const UNREACHABLE = 'unreachable-';

const LAMBDA_ENV: Record<string, string> = {
  AWS_REGION: 'ap-northeast-1',
  RUNTIME_ARN: ARN,
  BUCKET,
  STORAGE_PREFIX: PREFIX,
  CCA_S3_FORCE_PATH_STYLE: '1',
  // The runtime's and the Lambda's S3 clients take credentials from the SDK's default chain, as on AWS.
  AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
};

let s3: TestS3Server;
let svc: TestService;
let peer: AgentCorePeer;
let handler: ApiHandler;
const savedEnv: Record<string, string | undefined> = {};
const setEnv = (vars: Record<string, string>) => {
  for (const [name, value] of Object.entries(vars)) {
    if (!(name in savedEnv)) savedEnv[name] = process.env[name];
    process.env[name] = value;
  }
};

beforeAll(async () => {
  s3 = await startS3Server({ bucket: BUCKET });
  setEnv({ ...LAMBDA_ENV, AWS_ENDPOINT_URL_S3: s3.endpoint });
  svc = await startTestService({
    responder: scenarios({
      hello: [
        { content: [text('Creating the script.'), toolUse('Write', { file_path: 'hello.py', content: PY })] },
        { content: [text('Created hello.py.')] },
        // A session continued: the conversation goes on from its third turn.
        { content: [toolUse('Write', { file_path: 'more.py', content: 'print(2)\n' })] },
        { content: [text('Added more.py.')] },
      ],
      pause: [{ content: [text('Thought it over.')], delayMs: 4000 }],
      stuck: [{ content: [toolUse('Write', { file_path: 'partial.txt', content: 'before the cancel\n' })] }, { hang: true }],
      ask: [{ content: [toolUse('Write', { file_path: 'approved.txt', content: 'yes\n' })] }, { content: [text('asked')] }],
    }),
    env: { CCA_STORAGE: `s3://${BUCKET}/${PREFIX}`, AWS_ENDPOINT_URL_S3: s3.endpoint, CCA_S3_FORCE_PATH_STYLE: '1' },
  });
  peer = await startAgentCorePeer({
    runtimeArn: ARN,
    runtimeUrl: svc.url,
    runtimeFor: (sessionId) => (sessionId.startsWith(UNREACHABLE) ? 'http://127.0.0.1:1' : undefined),
  });
  setEnv({ AGENTCORE_ENDPOINT: peer.url });
  handler = createHandler(buildDeps(loadLambdaConfig(process.env)));
});

afterAll(async () => {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await peer?.close();
  await svc?.close();
  await s3?.close();
});

type Call = Omit<ApiRequest, 'apiKeyId' | 'resource'> & { apiKeyId?: string };
/** Calls the handler as API Gateway's `{proxy+}` resource would (the route found by its path). */
const call = (o: Call): Promise<APIGatewayProxyResult> => handler(apiEvent({ resource: '/{proxy+}', ...o, apiKeyId: o.apiKeyId ?? KEY_A }));
const get = async (p: string, query?: Record<string, string>, apiKeyId = KEY_A) =>
  parsed(await call({ method: 'GET', path: p, apiKeyId, ...(query ? { query } : {}) }));
const post = async (p: string, body: unknown, apiKeyId = KEY_A) =>
  parsed(await call({ method: 'POST', path: p, apiKeyId, body: JSON.stringify(body) }));

/** The events of a session after `after`, as the Lambda answers them, each checked against the schema. */
async function events(sessionId: string, after = 0, apiKeyId = KEY_A): Promise<{ events: SessionEvent[]; ms: number; raw: string }> {
  const started = Date.now();
  const res = await call({ method: 'GET', path: `/sessions/${sessionId}/events`, query: { after: String(after) }, apiKeyId });
  const ms = Date.now() - started;
  expect(res.statusCode).toBe(200);
  expect(res.headers?.['Content-Type']).toBe('text/event-stream; charset=utf-8');
  const list: SessionEvent[] = [];
  for await (const message of parseSseStream(new Response(res.body).body!)) {
    const event = SessionEventSchema.parse(JSON.parse(message.data)) as SessionEvent;
    expect(message.id).toBe(String(event.id));
    expect(message.event).toBe(event.type);
    list.push(event);
  }
  return { events: list, ms, raw: res.body };
}

async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

const until = (sessionId: string, statuses: string[]) =>
  waitFor(async () => {
    const detail = (await get(`/sessions/${sessionId}`)).body;
    return statuses.includes(detail.status) ? detail : undefined;
  });

const putObject = (key: string, value: unknown) =>
  s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}/${key}`, Body: JSON.stringify(value) }));
const getObject = async (key: string) =>
  JSON.parse(
    (await (await s3.client().send(new GetObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}/${key}` }))).Body?.transformToString()) ?? '',
  );

let hello = '';

describe('a finished run, read back through the Lambda', () => {
  it('replays the log exactly as the runtime recorded it, and only what follows `after`', async () => {
    const run = await post('/invoke', { prompt: '[[scenario:hello]] Create a hello world Python script' });
    expect(run.status).toBe(200);
    hello = run.body.output.session_id;
    const local = new EventStore(svc.runtime.db).listAfter(hello, 0);
    expect(local.at(-1)?.type).toBe('invocation.completed');
    // The last segment and the final state land together: the Lambda waits for what is still on its way.
    const all = await waitFor(async () => {
      const got = await events(hello);
      return got.events.length === local.length ? got : undefined;
    });
    expect(all.events).toEqual(local);
    const tail = await events(hello, 3);
    expect(tail.events).toEqual(local.slice(3));
    // An idle session answers at once, with no reconnection hint.
    const none = await events(hello, local.length);
    expect(none.events).toEqual([]);
    expect(none.ms).toBeLessThan(5000);
    expect(none.raw).not.toMatch(/^retry:/m);
  });

  it("lists the invocation's stored files with working links, and pages them", async () => {
    const page = await get(`/sessions/${hello}/files`);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ session_id: hello, invocation_id: null, kind: 'uploaded', next_cursor: null });
    const [file] = page.body.files;
    expect(file).toMatchObject({ file_name: 'hello.py', invocation_id: expect.any(String) });
    expect(await (await fetch(file.download_url)).text()).toBe(PY);
    const one = await get(`/sessions/${hello}/files`, { invocation_id: file.invocation_id, kind: 'skipped' });
    expect(one.body).toMatchObject({ invocation_id: file.invocation_id, kind: 'skipped', files: [] });
    expect((await get(`/sessions/${hello}/files`, { invocation_id: 'no-such-invocation' })).status).toBe(404);
  });

  it("shows every invocation of the session from the runtime's records, not only the latest", async () => {
    const second = await post('/invoke', { prompt: 'and once more', session_id: hello });
    expect(second.status).toBe(200);
    const detail = await until(hello, ['succeeded']);
    await waitFor(async () => (await get(`/sessions/${hello}`)).body.invocation_count === 2);
    const invocations = (await get(`/sessions/${hello}`)).body.invocations;
    expect(invocations.map((i: any) => i.prompt)).toEqual(['[[scenario:hello]] Create a hello world Python script', 'and once more']);
    expect(invocations.every((i: any) => i.status === 'succeeded' && i.ended_at >= i.started_at)).toBe(true);
    expect(detail.last_prompt).toBe('and once more');
    const files = await get(`/sessions/${hello}/files`, { limit: '1' });
    expect(files.body.files.map((f: any) => [f.file_name, f.invocation_id])).toEqual([['hello.py', invocations[0].invocation_id]]);
    const next = await get(`/sessions/${hello}/files`, { limit: '1', cursor: files.body.next_cursor });
    expect(next.body.files.map((f: any) => [f.file_name, f.invocation_id])).toEqual([['more.py', invocations[1].invocation_id]]);
    expect(next.body.next_cursor).toBeNull();
  });
});

describe('sessions per API key', () => {
  it("lists the caller's sessions newest first, a page at a time; another key sees none of them", async () => {
    const second = await post('/invoke', { prompt: '[[scenario:hello]] a second session' });
    const newest = second.body.output.session_id;
    const own = await post('/invoke', { prompt: '[[scenario:hello]] for bob' }, KEY_B);
    const first = await get('/sessions', { limit: '1' });
    expect(first.body.sessions.map((s: any) => s.session_id)).toEqual([newest]);
    expect(first.body.sessions[0]).toMatchObject({ status: expect.any(String), last_prompt: '[[scenario:hello]] a second session' });
    const rest = await get('/sessions', { limit: '100', cursor: first.body.next_cursor });
    expect(rest.body.sessions.map((s: any) => s.session_id)).toContain(hello);
    expect(rest.body.sessions.find((s: any) => s.session_id === hello)).toMatchObject({ invocation_count: 2 });

    const bob = await get('/sessions', undefined, KEY_B);
    expect(bob.body).toEqual({ sessions: [expect.objectContaining({ session_id: own.body.output.session_id })], next_cursor: null });
    expect((await get('/sessions', undefined, 'keyid-carol-0003')).body).toEqual({ sessions: [], next_cursor: null });
    for (const route of ['', '/events', '/files']) expect((await get(`/sessions/${hello}${route}`, undefined, KEY_B)).status).toBe(404);
    expect((await post(`/sessions/${hello}/cancel`, {}, KEY_B)).status).toBe(404);
  });
});

describe('a run in progress, followed and steered through the Lambda', () => {
  it('long-polls: a request with nothing newer waits and answers with the event that arrives meanwhile', async () => {
    const accepted = await post('/invoke', { prompt: '[[scenario:pause]] think', async: true });
    expect(accepted.status).toBe(202);
    const sessionId = accepted.body.session_id;
    const started = await waitFor(async () => {
      const got = await events(sessionId);
      return got.events.find((e) => e.type === 'invocation.started');
    });
    const waited = await events(sessionId, started.id);
    expect(waited.ms).toBeGreaterThan(1000);
    expect(waited.events.length).toBeGreaterThan(0);
    expect(waited.events.every((e) => e.id > started.id)).toBe(true);
    // While the run goes on, an EventSource is told to come back in a second.
    expect(waited.raw).toMatch(/^retry: 1000$/m);
    const all = await waitFor(async () => {
      const got = await events(sessionId);
      return got.events.some((e) => e.type === 'invocation.completed') ? got.events : undefined;
    });
    expect(all.find((e) => e.type === 'assistant.text')?.data).toEqual({ text: 'Thought it over.' });
  });

  it('cancels a running invocation in its runtime: it ends cancelled, with no StopRuntimeSession', async () => {
    const accepted = await post('/invoke', { prompt: '[[scenario:stuck]] write and wait', async: true });
    const sessionId = accepted.body.session_id;
    await waitFor(async () => (await events(sessionId)).events.some((e) => e.type === 'tool.call'));
    const cancel = await post(`/sessions/${sessionId}/cancel`, {});
    expect(cancel).toMatchObject({
      status: 202,
      body: { session_id: sessionId, invocation_id: accepted.body.invocation_id, status: 'cancelling' },
    });
    expect(JSON.parse(peer.requests.at(-1)?.payload ?? '{}')).toEqual({ control: { action: 'cancel' } });
    const detail = await until(sessionId, ['cancelled']);
    expect(detail.invocations[0].files.map((f: any) => f.file_name)).toEqual(['partial.txt']);
    expect(peer.stops.filter((s) => s.runtimeSessionId === sessionId)).toEqual([]);
    const again = await post(`/sessions/${sessionId}/cancel`, {});
    expect(again).toMatchObject({ status: 409, body: { message: `Nothing is running in session ${sessionId}.`, code: 'conflict' } });
  });

  it('answers a permission request of manual mode; a second answer is a conflict, an unknown one not found', async () => {
    const accepted = await post('/invoke', { prompt: '[[scenario:ask]] go', permission_mode: 'manual', async: true });
    const sessionId = accepted.body.session_id;
    const request = await waitFor(async () => (await events(sessionId)).events.find((e) => e.type === 'permission.request'));
    if (request.type !== 'permission.request') throw new Error('not a permission request');
    const requestId = request.data.request_id;
    const answer = await post(`/sessions/${sessionId}/permissions/${requestId}`, { decision: 'allow' });
    expect(answer).toEqual({ status: 200, body: { request_id: requestId, decision: 'allow' }, headers: expect.anything() });
    const again = await post(`/sessions/${sessionId}/permissions/${requestId}`, { decision: 'deny' });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ message: `Permission request ${requestId} was already answered.`, code: 'conflict' });
    const unknown = await post(`/sessions/${sessionId}/permissions/no-such-request`, { decision: 'allow' });
    expect(unknown.body).toEqual({ message: `No pending permission request no-such-request in session ${sessionId}.`, code: 'not_found' });
    const detail = await until(sessionId, ['succeeded', 'failed']);
    expect(detail.invocations[0].files.map((f: any) => f.file_name)).toEqual(['approved.txt']);
    const decided = (await events(sessionId)).events.find((e) => e.type === 'permission.decision');
    expect(decided?.data).toMatchObject({ request_id: requestId, decision: 'allow', by: 'api' });
  });
});

describe('a session whose runtime is gone', () => {
  /** A session the bucket says is running, as a microVM that died mid-run leaves it. */
  async function orphan(sessionId: string, lease?: string) {
    const at = new Date(Date.now() - 60_000).toISOString();
    await putObject(`sessions/${sessionId}/owner.json`, { owner: KEY_A, created_at: at });
    const state = {
      session_id: sessionId,
      owner: null,
      invocation_id: 'inv-dead',
      status: 'running',
      prompt: 'lost',
      updated_at: at,
      output: null,
    };
    await putObject(`sessions/${sessionId}/state.json`, state);
    await putObject(`sessions/${sessionId}/invocations/inv-dead.json`, { ...state, started_at: at, ended_at: null });
    if (lease !== undefined) await putObject(`sessions/${sessionId}/lease.json`, { expires_at: lease });
  }

  it.each([
    ['answers that it does not know the session', `orphan-${'o'.repeat(30)}`],
    ['does not answer at all', `${UNREACHABLE}${'u'.repeat(30)}`],
  ])('is stopped with StopRuntimeSession and marked cancelled when the runtime %s', async (_name, sessionId) => {
    await orphan(sessionId);
    const cancel = await post(`/sessions/${sessionId}/cancel`, {});
    expect(cancel).toMatchObject({ status: 202, body: { session_id: sessionId, invocation_id: 'inv-dead', status: 'cancelling' } });
    const stop = peer.stops.find((s) => s.runtimeSessionId === sessionId);
    expect(stop).toMatchObject({ agentRuntimeArn: ARN, qualifier: 'DEFAULT', status: 200, clientToken: expect.any(String) });
    const detail = (await get(`/sessions/${sessionId}`)).body;
    expect(detail).toMatchObject({
      status: 'cancelled',
      invocations: [expect.objectContaining({ status: 'cancelled', ended_at: expect.any(String) })],
    });
    expect(await getObject(`sessions/${sessionId}/invocations/inv-dead.json`)).toMatchObject({ status: 'cancelled' });
    // Its followers see the run end, at once.
    const after = await events(sessionId);
    expect(after.ms).toBeLessThan(5000);
    expect(after.events.at(-1)).toMatchObject({ type: 'invocation.completed', invocation_id: 'inv-dead', data: { status: 'cancelled' } });
  });

  it('is left alone while a worker holds its lease: the run is alive elsewhere', async () => {
    const sessionId = `leased-${'l'.repeat(30)}`;
    await orphan(sessionId, new Date(Date.now() + 60_000).toISOString());
    const cancel = await post(`/sessions/${sessionId}/cancel`, {});
    expect(cancel.status).toBe(409);
    expect(peer.stops.some((s) => s.runtimeSessionId === sessionId)).toBe(false);
    expect((await get(`/sessions/${sessionId}`)).body.status).toBe('running');
  });
});

describe('cca migrate-sessions', () => {
  it('indexes a session from before the owner index, once, so the list shows it with its invocation', async () => {
    const sessionId = `legacy-${'g'.repeat(30)}`;
    const at = '2024-12-31T23:00:00.000Z';
    await putObject(`sessions/${sessionId}/owner.json`, { owner: KEY_A, created_at: at });
    await putObject(`sessions/${sessionId}/state.json`, {
      session_id: sessionId,
      owner: null,
      invocation_id: 'inv-legacy',
      status: 'succeeded',
      prompt: 'from the old days',
      updated_at: at,
      output: null,
    });
    const listed = async () => {
      const all = await get('/sessions', { limit: '100' });
      return all.body.sessions.find((s: any) => s.session_id === sessionId);
    };
    expect(await listed()).toBeUndefined();
    // Readable by id all along.
    expect((await get(`/sessions/${sessionId}`)).body).toMatchObject({ status: 'succeeded', invocation_count: 1 });

    const cwd = mkdtempSync(path.join(tmpdir(), 'cca-migrate-'));
    const io = recordingIo();
    const storage = `s3://${BUCKET}/${PREFIX}`;
    expect(await runCli(['migrate-sessions', '--storage', storage], { env: process.env, io, cwd })).toBe(0);
    expect(io.out).toContain(`${sessionId}: owner index, invocation record`);
    expect(await listed()).toMatchObject({ status: 'succeeded', invocation_count: 1, last_prompt: 'from the old days', created_at: at });
    expect(await getObject(`sessions/${sessionId}/invocations/inv-legacy.json`)).toMatchObject({
      status: 'succeeded',
      prompt: 'from the old days',
    });

    const again = recordingIo();
    expect(await runCli(['migrate-sessions', '--storage', storage], { env: process.env, io: again, cwd })).toBe(0);
    expect(again.out).toMatch(/ 0 indexed, 0 invocation records written/);
  });
});
