import { describe, expect, it } from 'vitest';
import { fakeLambda, lambdaEvent, seed } from '../../test/support/lambda-deps.js';
import { createHandler } from './app.js';

const id = (n: number) => `session-${n}-`.padEnd(40, 'x');
const at = (minute: number) => `2025-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;

const get = (path: string, query?: Record<string, string>, keyId = 'key-a') =>
  lambdaEvent({ method: 'GET', path, keyId, ...(query ? { query } : {}) });
const body = (res: { body: string }) => JSON.parse(res.body) as any;

describe('GET /sessions on AWS', () => {
  it("lists the key's sessions newest first, a page at a time, and none of another key's", async () => {
    const { deps, objects } = fakeLambda();
    for (let n = 1; n <= 5; n++) seed(objects, 'p', { id: id(n), owner: 'key-a', createdAt: at(n) });
    seed(objects, 'p', { id: id(9), owner: 'key-b', createdAt: at(9) });
    const handler = createHandler(deps);

    const first = body(await handler(get('/sessions', { limit: '2' })));
    expect(first.sessions.map((s: any) => s.session_id)).toEqual([id(5), id(4)]);
    const second = body(await handler(get('/sessions', { limit: '2', cursor: first.next_cursor })));
    expect(second.sessions.map((s: any) => s.session_id)).toEqual([id(3), id(2)]);
    const third = body(await handler(get('/sessions', { limit: '2', cursor: second.next_cursor })));
    expect(third).toEqual({ sessions: [expect.objectContaining({ session_id: id(1), created_at: at(1) })], next_cursor: null });

    expect(body(await handler(get('/sessions', undefined, 'key-b'))).sessions.map((s: any) => s.session_id)).toEqual([id(9)]);
    expect(body(await handler(get('/sessions', undefined, 'key-c')))).toEqual({ sessions: [], next_cursor: null });
  });

  it('summarizes each from its state and its invocation records, counting a state-only session as one', async () => {
    const { deps, objects } = fakeLambda();
    seed(objects, 'p', {
      id: id(1),
      owner: 'key-a',
      createdAt: at(1),
      state: { invocation_id: 'inv-2', status: 'running', prompt: 'second', updated_at: at(3) },
      records: [
        { invocation_id: 'inv-1', status: 'succeeded', started_at: at(1) },
        { invocation_id: 'inv-2', status: 'running', started_at: at(2) },
      ],
    });
    seed(objects, 'p', {
      id: id(2),
      owner: 'key-a',
      createdAt: at(2),
      state: { invocation_id: 'old', status: 'succeeded', prompt: 'old one' },
    });
    seed(objects, 'p', { id: id(3), owner: 'key-a', createdAt: at(3) });
    const list = body(await createHandler(deps)(get('/sessions')));
    expect(list.sessions).toEqual([
      { session_id: id(3), created_at: at(3), updated_at: at(3), status: 'idle', invocation_count: 0, last_prompt: null },
      expect.objectContaining({ session_id: id(2), status: 'succeeded', invocation_count: 1, last_prompt: 'old one' }),
      { session_id: id(1), created_at: at(1), updated_at: at(3), status: 'running', invocation_count: 2, last_prompt: 'second' },
    ]);
  });

  it.each([
    [{ limit: '0' }, 'limit must be an integer from 1 to 100.'],
    [{ limit: 'many' }, 'limit must be an integer from 1 to 100.'],
    [{ cursor: 'not-ours' }, 'cursor is not one this API returned; pass next_cursor from the previous page unchanged.'],
    [
      { cursor: Buffer.from(JSON.stringify(['yesterday', 's'])).toString('base64url') },
      'cursor is not one this API returned; pass next_cursor from the previous page unchanged.',
    ],
  ])('answers %o with the local 400', async (query, message) => {
    const { deps } = fakeLambda();
    const res = await createHandler(deps)(get('/sessions', query));
    expect(res.statusCode).toBe(400);
    expect(body(res)).toMatchObject({ message, code: 'invalid_request' });
  });
});

describe('GET /sessions/{id} on AWS', () => {
  it('shows every invocation from its records, oldest first, with the latest state where it is newer', async () => {
    const { deps, objects } = fakeLambda();
    seed(objects, 'p', {
      id: id(1),
      owner: 'key-a',
      state: { invocation_id: 'inv-2', status: 'succeeded', prompt: 'second', updated_at: at(5) },
      records: [
        { invocation_id: 'inv-2', status: 'running', started_at: at(3), prompt: 'second' },
        { invocation_id: 'inv-1', status: 'failed', started_at: at(1), ended_at: at(2), prompt: 'first' },
      ],
    });
    const detail = body(await createHandler(deps)(get(`/sessions/${id(1)}`)));
    expect(detail).toMatchObject({ status: 'succeeded', invocation_count: 2, last_prompt: 'second', updated_at: at(5) });
    expect(detail.invocations.map((i: any) => [i.invocation_id, i.status, i.started_at])).toEqual([
      ['inv-1', 'failed', at(1)],
      ['inv-2', 'succeeded', at(3)],
    ]);
  });

  it("answers 404 to another key's session and to a files_limit out of range, as locally", async () => {
    const { deps, objects } = fakeLambda();
    seed(objects, 'p', { id: id(1), owner: 'key-a' });
    const handler = createHandler(deps);
    expect((await handler(get(`/sessions/${id(1)}`, undefined, 'key-b'))).statusCode).toBe(404);
    const bad = await handler(get(`/sessions/${id(1)}`, { files_limit: '5000' }));
    expect(bad.statusCode).toBe(400);
    expect(body(bad).message).toBe('files_limit must be an integer from 0 to 1000.');
  });
});
