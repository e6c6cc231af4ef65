import { describe, expect, it } from 'vitest';
import { fakeLambda, lambdaEvent, ok } from '../../test/support/lambda-deps.js';
import { createHandler } from './app.js';
import { ownerKey } from './owners.js';
import type { RuntimeAnswer } from './runtime.js';

const LONG_ID = 'mine-'.padEnd(40, 'x');

/** Invoke routes by default, as API Gateway's `/invoke` resource delivers them. */
const event = (o: Parameters<typeof lambdaEvent>[0]) => lambdaEvent({ resource: o.path ?? '/invoke', ...o });

function setup(answer: (payload: Record<string, unknown>) => RuntimeAnswer | Promise<RuntimeAnswer>) {
  const fake = fakeLambda(answer);
  return { handler: createHandler(fake.deps), calls: fake.calls, objects: fake.objects, logs: fake.logs };
}

describe('the API Lambda handler', () => {
  it("passes a sync run's answer through unchanged and records the caller as the session's owner", async () => {
    const { handler, calls, objects } = setup(() => ({ status: 200, contentType: 'application/json', body: '{"output":{"x":1}}' }));
    const res = await handler(event({ body: { prompt: 'hi' } }));
    expect(res).toMatchObject({ statusCode: 200, body: '{"output":{"x":1}}', headers: { 'Access-Control-Allow-Origin': '*' } });
    const [call] = calls;
    expect(call?.sessionId).toHaveLength(36);
    expect(call?.payload).toEqual({ prompt: 'hi', session_id: call?.sessionId });
    expect(JSON.parse(objects.data.get(ownerKey('p', call?.sessionId ?? '')) ?? '{}')).toEqual({
      owner: 'key-a',
      created_at: '2025-01-01T00:00:00.000Z',
    });
  });

  it('hands the git token on to the runtime, which clones with it (the recorded request leaves it out)', async () => {
    const { handler, calls } = setup(() => ok());
    const repository = { url: 'https://github.com/acme/app.git' };
    await handler(event({ body: { prompt: 'hi', repository, git_token: 'ghp_x', git_username: 'bot' } }));
    expect(calls[0]?.payload).toMatchObject({ prompt: 'hi', repository, git_token: 'ghp_x', git_username: 'bot' });
  });

  it("hands the headers of a request's own MCP server on to the runtime (the recorded request leaves them out)", async () => {
    const { handler, calls } = setup(() => ok());
    const mine = { name: 'mine', url: 'https://mcp.example.org/mcp', headers: { Authorization: 'Bearer caller-secret' } };
    await handler(event({ body: { prompt: 'hi', mcp_servers: [mine, 'gateway'] } }));
    expect(calls[0]?.payload).toMatchObject({ mcp_servers: [mine, 'gateway'] });
  });

  it("checks mcp_servers against the runtime's servers when it knows them (CCA_MCP_CONFIG), before AgentCore hides the runtime's 400", async () => {
    const fake = fakeLambda(() => ok(), { mcp: { servers: { gateway: { default: false } }, allowRequestServers: false } });
    const handler = createHandler(fake.deps);
    const res = await handler(event({ body: { prompt: 'hi', mcp_servers: ['jira'] } }));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).message).toBe('Unknown MCP server "jira" in mcp_servers; this service declares: gateway.');
    const tool = await handler(event({ body: { prompt: 'hi', allowed_tools: 'mcp__gateway__x' } }));
    expect(JSON.parse(tool.body).message).toBe('allowed_tools names mcp__gateway__x, but add "gateway" to mcp_servers to enable it.');
    expect(fake.calls).toEqual([]);
    await handler(event({ body: { prompt: 'hi', mcp_servers: ['gateway'], allowed_tools: 'mcp__gateway__weather___get' } }));
    expect(fake.calls).toHaveLength(1);
  });

  it('sends the flat, validated request even when it came wrapped in {"input": ...}', async () => {
    const { handler, calls } = setup(() => ok());
    await handler(event({ body: { input: { prompt: 'hi', allowed_tools: 'Read' } } }));
    expect(calls[0]?.payload).toMatchObject({ prompt: 'hi', allowed_tools: 'Read' });
    expect(calls[0]?.payload).not.toHaveProperty('input');
  });

  it.each([
    ['"async": true', { prompt: 'hi', async: true }, {}],
    ['Prefer: respond-async', { prompt: 'hi' }, { Prefer: 'respond-async' }],
  ])('answers %s with 202, the status URL on the API and Location', async (_name, body, headers) => {
    const { handler, calls } = setup(() => ({
      status: 202,
      contentType: 'application/json',
      body: JSON.stringify({ invocation_id: 'inv-1', status: 'queued' }),
    }));
    const res = await handler(event({ body, headers }));
    const sessionId = calls[0]?.sessionId ?? '';
    const statusUrl = `https://abc.execute-api.us-east-1.amazonaws.com/prod/sessions/${sessionId}`;
    expect(res.statusCode).toBe(202);
    expect(JSON.parse(res.body)).toEqual({ session_id: sessionId, invocation_id: 'inv-1', status: 'queued', status_url: statusUrl });
    expect(res.headers).toMatchObject({ Location: statusUrl, 'Preference-Applied': 'respond-async' });
    expect(calls[0]?.payload.async).toBe(true);
  });

  it('passes a finished answer through when the runtime ran an async request to the end', async () => {
    const { handler } = setup(() => ok({ output: { done: true } }));
    const res = await handler(event({ body: { prompt: 'hi', async: true } }));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ output: { done: true } });
  });

  it('answers 403 Forbidden without an API key id, before reading anything', async () => {
    const { handler, calls } = setup(() => ok());
    for (const keyId of [null, '']) {
      const res = await handler(event({ body: '{', keyId }));
      expect(res.statusCode).toBe(403);
      expect(JSON.parse(res.body)).toEqual({ message: 'Forbidden' });
    }
    expect(calls).toHaveLength(0);
  });

  it('lets the AgentCore header name the session, as locally', async () => {
    const { handler, calls } = setup(() => ok());
    await handler(
      event({ body: { prompt: 'hi', session_id: `b${LONG_ID}` }, headers: { 'x-amzn-bedrock-agentcore-runtime-session-id': LONG_ID } }),
    );
    expect(calls[0]?.sessionId).toBe(LONG_ID);
  });

  it('routes GET /sessions/{id} by resource or by path, and answers unknown routes 404', async () => {
    const { handler, objects } = setup(() => ok());
    objects.data.set(ownerKey('p', LONG_ID), JSON.stringify({ owner: 'key-a', created_at: '2025-01-01T00:00:00.000Z' }));
    const byResource = await handler(
      event({ method: 'GET', path: `/sessions/${LONG_ID}`, resource: '/sessions/{session_id}', pathParameters: { session_id: LONG_ID } }),
    );
    expect(JSON.parse(byResource.body)).toMatchObject({ session_id: LONG_ID, status: 'idle', invocations: [] });
    const byProxy = await handler(event({ method: 'GET', path: `/sessions/${LONG_ID}`, resource: '/{proxy+}' }));
    expect(byProxy.statusCode).toBe(200);
    const short = await handler(event({ method: 'GET', path: '/sessions/..', resource: '/{proxy+}' }));
    expect(short.statusCode).toBe(404);
    const unknown = await handler(event({ method: 'GET', path: '/nothing', resource: '/{proxy+}' }));
    expect(unknown.statusCode).toBe(404);
    expect(JSON.parse(unknown.body).message).toMatch(/No route GET \/nothing\. The API on AWS has POST \/invoke, GET \/sessions, /);
  });

  it('answers a path it has with another method 405, with Allow and the methods it takes', async () => {
    const { handler } = setup(() => ok());
    const wrong = await handler(event({ method: 'GET', path: '/prod/invoke', resource: '/invoke' }));
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers).toMatchObject({ Allow: 'POST', 'Access-Control-Allow-Origin': '*' });
    expect(JSON.parse(wrong.body)).toEqual({
      message: '/prod/invoke does not take GET; it takes POST.',
      code: 'method_not_allowed',
      allow: ['POST'],
    });
    const cancel = await handler(event({ method: 'GET', path: `/sessions/${LONG_ID}/cancel`, resource: '/{proxy+}' }));
    expect(cancel.statusCode).toBe(405);
    expect(cancel.headers).toMatchObject({ Allow: 'POST' });
    const session = await handler(event({ method: 'POST', path: `/sessions/${LONG_ID}`, resource: '/{proxy+}' }));
    expect(session.headers).toMatchObject({ Allow: 'GET' });
  });

  it('answers a CORS preflight without a key', async () => {
    const { handler } = setup(() => ok());
    const res = await handler(event({ method: 'OPTIONS', keyId: null }));
    expect(res.statusCode).toBe(204);
    expect(res.headers).toMatchObject({ 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS' });
  });

  it('logs an unexpected fault and answers an opaque 500', async () => {
    const { handler, logs } = setup(() => {
      throw new TypeError('socket exploded');
    });
    const res = await handler(event({ body: { prompt: 'hi' } }));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('socket exploded');
    expect(logs).toContainEqual({
      level: 'error',
      message: 'unhandled error',
      fields: expect.objectContaining({ error: 'TypeError: socket exploded' }),
    });
  });
});
