import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/index.js';
import { createHandler, routeOf } from './app.js';
import type { LambdaDeps } from './deps.js';
import { memoryObjects } from './objects.js';
import { ownerKey } from './owners.js';
import type { RuntimeAnswer } from './runtime.js';

const LONG_ID = 'mine-'.padEnd(40, 'x');

function event(o: {
  method?: string;
  path?: string;
  resource?: string;
  body?: unknown;
  headers?: Record<string, string>;
  keyId?: string | null;
  pathParameters?: Record<string, string>;
}): APIGatewayProxyEvent {
  const path = o.path ?? '/invoke';
  return {
    httpMethod: o.method ?? 'POST',
    path,
    resource: o.resource ?? path,
    pathParameters: o.pathParameters ?? null,
    headers: o.headers ?? {},
    body: o.body === undefined ? null : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
    isBase64Encoded: false,
    requestContext: {
      domainName: 'abc.execute-api.us-east-1.amazonaws.com',
      stage: 'prod',
      path: `/prod${path}`,
      identity: { apiKeyId: o.keyId === undefined ? 'key-a' : o.keyId },
    },
  } as unknown as APIGatewayProxyEvent;
}

function setup(answer: (payload: Record<string, unknown>) => RuntimeAnswer | Promise<RuntimeAnswer>) {
  const calls: { sessionId: string; payload: Record<string, unknown> }[] = [];
  const objects = memoryObjects();
  const logError = vi.fn();
  const deps: LambdaDeps = {
    config: {
      runtimeArn: 'arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-b',
      qualifier: 'DEFAULT',
      bucket: 'bkt',
      prefix: 'p',
      agentCoreEndpoint: undefined,
      aws: { region: 'us-east-1', s3Endpoint: undefined, s3ForcePathStyle: false },
      limits: loadConfig({}, {}).limits,
    },
    runtime: {
      async invoke(sessionId, payload) {
        calls.push({ sessionId, payload });
        return answer(payload);
      },
    },
    objects,
    store: { links: (key) => ({ s3_url: `s3://bkt/p/${key}`, console_url: 'c', download_url: 'd', expires_at: 'e' }) },
    now: () => new Date('2025-01-01T00:00:00.000Z'),
    logError,
  };
  return { handler: createHandler(deps), calls, objects, logError };
}

const ok = (body: unknown = { output: { success: true } }): RuntimeAnswer => ({
  status: 200,
  contentType: 'application/json',
  body: JSON.stringify(body),
});

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
    const unknown = await handler(event({ method: 'GET', path: '/invoke' }));
    expect(unknown.statusCode).toBe(404);
    expect(JSON.parse(unknown.body).message).toMatch(/No route GET \/invoke/);
  });

  it('answers a CORS preflight without a key', async () => {
    const { handler } = setup(() => ok());
    const res = await handler(event({ method: 'OPTIONS', keyId: null }));
    expect(res.statusCode).toBe(204);
    expect(res.headers).toMatchObject({ 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS' });
  });

  it('logs an unexpected fault and answers an opaque 500', async () => {
    const { handler, logError } = setup(() => {
      throw new TypeError('socket exploded');
    });
    const res = await handler(event({ body: { prompt: 'hi' } }));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('socket exploded');
    expect(logError).toHaveBeenCalledWith('unhandled error', expect.objectContaining({ error: 'TypeError: socket exploded' }));
  });

  it('finds routes behind a custom domain base path', () => {
    expect(routeOf(event({ path: '/v1/invoke', resource: '/{proxy+}' }))).toEqual({ kind: 'invoke' });
    expect(routeOf(event({ path: '/v1/sessions/a%2Fb', resource: '/{proxy+}' }))).toEqual({ kind: 'session', sessionId: 'a/b' });
    expect(routeOf(event({ path: '/v1/other', resource: '/{proxy+}' }))).toBeUndefined();
  });
});
