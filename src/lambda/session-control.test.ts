import { describe, expect, it } from 'vitest';
import { fakeLambda, fromRuntime, lambdaEvent, ok, seed } from '../../test/support/lambda-deps.js';
import { invocationKey, stateKey } from '../state/index.js';
import { createHandler } from './app.js';
import { eventsAfter } from './event-log.js';

const ID = 'session-control-'.padEnd(40, 'x');
const NOW = '2025-01-01T01:00:00.000Z';
const cancel = (keyId = 'key-a') => lambdaEvent({ method: 'POST', path: `/sessions/${ID}/cancel`, keyId });
const answer = (body: unknown, requestId = 'req-1', keyId = 'key-a') =>
  lambdaEvent({ method: 'POST', path: `/sessions/${ID}/permissions/${requestId}`, body, keyId });
const json = (res: { body: string }) => JSON.parse(res.body) as any;
const running = { invocation_id: 'inv-1', status: 'running' as const, updated_at: '2025-01-01T00:59:00.000Z' };

describe('POST /sessions/{id}/cancel on AWS', () => {
  it("sends the cancel payload to the session's runtime and passes its 202 through", async () => {
    const accepted = { session_id: ID, invocation_id: 'inv-1', status: 'cancelling' };
    const { deps, objects, calls, stopped } = fakeLambda(() => ok(accepted, 202));
    seed(objects, 'p', { id: ID, owner: 'key-a', state: running });
    const res = await createHandler(deps)(cancel());
    expect(res.statusCode).toBe(202);
    expect(json(res)).toEqual(accepted);
    expect(calls).toEqual([{ sessionId: ID, payload: { control: { action: 'cancel' } } }]);
    expect(stopped).toEqual([]);
  });

  it("answers 404 for another key's session without reaching the runtime", async () => {
    const { deps, objects, calls } = fakeLambda();
    seed(objects, 'p', { id: ID, owner: 'key-a', state: running });
    const res = await createHandler(deps)(cancel('key-b'));
    expect(res.statusCode).toBe(404);
    expect(json(res)).toEqual({ message: `Session ${ID} was not found; omit session_id to start a new session.`, code: 'not_found' });
    expect(calls).toEqual([]);
  });

  it("answers the runtime's 409 as the local route when the state agrees nothing runs", async () => {
    const { deps, objects, stopped } = fakeLambda(() => {
      throw fromRuntime(409);
    });
    seed(objects, 'p', { id: ID, owner: 'key-a', state: { invocation_id: 'inv-1', status: 'succeeded' } });
    const res = await createHandler(deps)(cancel());
    expect(res.statusCode).toBe(409);
    expect(json(res)).toEqual({ message: `Nothing is running in session ${ID}.`, code: 'conflict' });
    expect(stopped).toEqual([]);
  });

  it('keeps to 409 while the lease of a worker still holds the session', async () => {
    const { deps, objects, stopped } = fakeLambda(() => Promise.reject(fromRuntime(404)), { now: NOW });
    seed(objects, 'p', { id: ID, owner: 'key-a', state: running, lease: '2025-01-01T01:00:30.000Z' });
    expect((await createHandler(deps)(cancel())).statusCode).toBe(409);
    expect(stopped).toEqual([]);
  });

  it.each([
    ['answers that nothing runs there, the lease having run out', 409, '2025-01-01T00:59:30.000Z'],
    ['does not know the session (a new microVM), with no lease at all', 404, undefined],
    ['fails to answer at all', 502, '2025-01-01T02:00:00.000Z'],
  ])('stops the session and marks its invocation cancelled when the runtime %s', async (_name, status, lease) => {
    const { deps, objects, stopped, logs } = fakeLambda(
      () => {
        throw status === 502 ? Object.assign(new Error('socket hang up'), { name: 'InternalServerException' }) : fromRuntime(status);
      },
      { now: NOW },
    );
    seed(objects, 'p', {
      id: ID,
      owner: 'key-a',
      state: running,
      records: [{ invocation_id: 'inv-1', status: 'running', started_at: '2025-01-01T00:58:00.000Z' }],
      ...(lease === undefined ? {} : { lease }),
    });
    const res = await createHandler(deps)(cancel());
    expect(res.statusCode).toBe(202);
    expect(json(res)).toEqual({ session_id: ID, invocation_id: 'inv-1', status: 'cancelling' });
    expect(stopped).toEqual([ID]);
    expect(JSON.parse(objects.data.get(stateKey('p', ID)) ?? '{}')).toMatchObject({ status: 'cancelled', updated_at: NOW });
    expect(JSON.parse(objects.data.get(invocationKey('p', ID, 'inv-1')) ?? '{}')).toMatchObject({
      status: 'cancelled',
      started_at: '2025-01-01T00:58:00.000Z',
      ended_at: NOW,
    });
    const [completed] = await eventsAfter(objects, 'p', ID, 0);
    expect(completed).toMatchObject({
      id: 1,
      invocation_id: 'inv-1',
      type: 'invocation.completed',
      data: { status: 'cancelled', output: null },
    });
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'info', fields: expect.objectContaining({ session_id: ID, stopped: 'stopped' }) }),
    );
  });

  it("passes the runtime's failure on when the state says nothing runs", async () => {
    const { deps, objects, stopped } = fakeLambda(() => {
      throw Object.assign(new Error('down'), { name: 'InternalServerException' });
    });
    seed(objects, 'p', { id: ID, owner: 'key-a' });
    expect((await createHandler(deps)(cancel())).statusCode).toBe(502);
    expect(stopped).toEqual([]);
  });
});

describe('POST /sessions/{id}/permissions/{request_id} on AWS', () => {
  it('sends the answer as a control payload and passes the runtime answer through', async () => {
    const { deps, objects, calls } = fakeLambda(() => ok({ request_id: 'req-1', decision: 'deny' }));
    seed(objects, 'p', { id: ID, owner: 'key-a' });
    const res = await createHandler(deps)(answer({ decision: 'deny', message: 'Not there.' }));
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({ request_id: 'req-1', decision: 'deny' });
    expect(calls[0]?.payload).toEqual({ control: { action: 'permission', request_id: 'req-1', decision: 'deny', message: 'Not there.' } });
  });

  it.each([
    [404, { message: `No pending permission request req-1 in session ${ID}.`, code: 'not_found' }],
    [409, { message: 'Permission request req-1 was already answered.', code: 'conflict' }],
  ])("turns the runtime's %i back into the local route's error", async (status, error) => {
    const { deps, objects } = fakeLambda(() => Promise.reject(fromRuntime(status)));
    seed(objects, 'p', { id: ID, owner: 'key-a' });
    const res = await createHandler(deps)(answer({ decision: 'allow' }));
    expect(res.statusCode).toBe(status);
    expect(json(res)).toEqual(error);
  });

  it('checks the body before the session, as locally, and never reaches the runtime for either', async () => {
    const { deps, objects, calls } = fakeLambda();
    seed(objects, 'p', { id: ID, owner: 'key-a' });
    const handler = createHandler(deps);
    for (const bad of ['{"decision": "maybe"}', 'not json', { decision: 'allow', extra: 1, message: 'x'.repeat(2001) }]) {
      const res = await handler(answer(bad, 'req-1', 'key-b'));
      expect(res.statusCode).toBe(400);
      expect(json(res)).toEqual({
        message: 'The body must be {"decision": "allow" | "deny", "message"?: string}.',
        code: 'invalid_request',
        field: 'decision',
      });
    }
    expect((await handler(answer({ decision: 'allow' }, 'req-1', 'key-b'))).statusCode).toBe(404);
    expect(calls).toEqual([]);
  });
});
