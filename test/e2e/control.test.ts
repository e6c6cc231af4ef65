/**
 * Control payloads on `POST /invocations` without a run: how a session's run is steered where
 * AgentCore forwards only `/invocations`. Under `cca serve` the key's tenancy holds as on the
 * session routes; `/invoke` takes no control form; the bare runtime needs the session header.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/service.js';

const SESSION = 'control-session-'.padEnd(40, 'c');

let serve: TestService;
let runtime: TestService;
let keyA: string;
let keyB: string;

beforeAll(async () => {
  serve = await startTestService({ mode: 'serve' });
  runtime = await startTestService({ model: serve.model });
  keyA = serve.runtime.keys.create('a').key;
  keyB = serve.runtime.keys.create('b').key;
  // An upload makes the session key A's, without running anything.
  const form = new FormData();
  form.append('file', new Blob(['hello\n']), 'notes.txt');
  const put = await fetch(`${serve.url}/sessions/${SESSION}/files`, { method: 'POST', headers: { 'x-api-key': keyA }, body: form });
  expect(put.status).toBe(201);
});
afterAll(async () => {
  await runtime?.close();
  await serve?.close();
});

const post = async (base: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
};
const onSession = { 'X-Amzn-Bedrock-AgentCore-Runtime-Session-Id': SESSION };

describe('control payloads on /invocations', () => {
  it("under cca serve: the owner hears that nothing runs (409); another key's session is not found (404)", async () => {
    const cancel = { control: { action: 'cancel' } };
    expect(await post(serve.url, '/invocations', cancel, { 'x-api-key': keyA, ...onSession })).toEqual({
      status: 409,
      body: { message: `Nothing is running in session ${SESSION}.`, code: 'conflict' },
    });
    const foreign = await post(serve.url, '/invocations', cancel, { 'x-api-key': keyB, ...onSession });
    expect(foreign).toEqual({
      status: 404,
      body: { message: `Session ${SESSION} was not found; omit session_id to start a new session.`, code: 'not_found' },
    });
    const answer = { control: { action: 'permission', request_id: 'r-1', decision: 'allow' } };
    expect((await post(serve.url, '/invocations', answer, { 'x-api-key': keyA, ...onSession })).body).toEqual({
      message: `No pending permission request r-1 in session ${SESSION}.`,
      code: 'not_found',
    });
    expect((await post(serve.url, '/invocations', cancel, onSession)).status).toBe(403);
  });

  it('is not a form of /invoke: there control is an unknown field', async () => {
    const res = await post(serve.url, '/invoke', { control: { action: 'cancel' } }, { 'x-api-key': keyA, ...onSession });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/Unknown field "control"/);
  });

  it('on the bare runtime: needs the session header, a known action and nothing else in the body', async () => {
    const missing = await post(runtime.url, '/invocations', { control: { action: 'cancel' } });
    expect(missing).toMatchObject({ status: 400, body: { field: 'X-Amzn-Bedrock-AgentCore-Runtime-Session-Id', code: 'invalid_request' } });
    const bad = await post(runtime.url, '/invocations', { control: { action: 'pause' } }, onSession);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^control must be \{"action": "cancel"\}/);
    const mixed = await post(runtime.url, '/invocations', { control: { action: 'cancel' }, prompt: 'and run this' }, onSession);
    expect(mixed.status).toBe(400);
    // A session this runtime never ran: not found, which the API Lambda reads as "nothing runs there".
    expect((await post(runtime.url, '/invocations', { control: { action: 'cancel' } }, onSession)).status).toBe(404);
  });
});
