import { describe, expect, it } from 'vitest';
import { fakeLambda, fromRuntime, lambdaEvent, ok, seed } from '../../test/support/lambda-deps.js';
import { createHandler } from './app.js';
import { activeRunsPrefix } from './run-cap.js';

const invoke = (body: Record<string, unknown> = {}, keyId = 'key-a') =>
  lambdaEvent({ method: 'POST', path: '/invoke', resource: '/invoke', body: { prompt: 'hi', ...body }, keyId });
const marks = (objects: { data: Map<string, string> }, keyId = 'key-a') =>
  [...objects.data.keys()].filter((k) => k.startsWith(activeRunsPrefix('p', keyId)));

/** A runtime that accepts every run in the background, as invocation `inv-<n>`. */
function asyncRuntime(opts: { keyMaxConcurrent?: number } = {}) {
  let n = 0;
  return fakeLambda(() => ok({ invocation_id: `inv-${++n}`, status: 'queued' }, 202), { now: '2025-01-01T00:00:00.000Z', ...opts });
}

describe('the per-key run cap on AWS', () => {
  it('refuses a key its fifth run in progress with 429 key_queue_full, without reaching the runtime; other keys go on', async () => {
    const { deps, calls } = asyncRuntime();
    const handler = createHandler(deps);
    for (let i = 0; i < 4; i++) expect((await handler(invoke({ async: true }))).statusCode).toBe(202);
    const refused = await handler(invoke({ async: true }));
    expect(refused.statusCode).toBe(429);
    expect(refused.headers).toMatchObject({ 'Retry-After': '10' });
    expect(JSON.parse(refused.body)).toMatchObject({
      code: 'key_queue_full',
      retry_after_s: 10,
      message: expect.stringMatching(/already has 4 runs in progress.*KEY_MAX_CONCURRENT=4/),
    });
    expect(calls).toHaveLength(4);
    expect((await handler(invoke({ async: true }, 'key-b'))).statusCode).toBe(202);
  });

  it('frees a place when a run ends: a sync answer at once, an async run once its record says it ended', async () => {
    const fake = asyncRuntime({ keyMaxConcurrent: 1 });
    const handler = createHandler(fake.deps);
    const first = JSON.parse((await handler(invoke({ async: true }))).body);
    expect(marks(fake.objects)).toHaveLength(1);
    expect((await handler(invoke({ async: true }))).statusCode).toBe(429);
    seed(fake.objects, 'p', {
      id: first.session_id,
      records: [{ invocation_id: first.invocation_id, status: 'succeeded', started_at: '2025-01-01T00:00:00.000Z' }],
    });
    expect((await handler(invoke({ async: true }))).statusCode).toBe(202);
    // The finished run's mark is gone; the new one stands.
    expect(marks(fake.objects)).toHaveLength(1);

    const sync = fakeLambda(() => ok(), { keyMaxConcurrent: 1 });
    const syncHandler = createHandler(sync.deps);
    expect((await syncHandler(invoke())).statusCode).toBe(200);
    expect((await syncHandler(invoke())).statusCode).toBe(200);
    expect(marks(sync.objects)).toEqual([]);
  });

  it('frees the place of a run whose lease ran out, and of a mark left past the longest run', async () => {
    const fake = asyncRuntime({ keyMaxConcurrent: 1 });
    const handler = createHandler(fake.deps);
    const first = JSON.parse((await handler(invoke({ async: true }))).body);
    seed(fake.objects, 'p', {
      id: first.session_id,
      records: [{ invocation_id: first.invocation_id, status: 'running', started_at: '2025-01-01T00:00:00.000Z' }],
      lease: '2024-12-31T23:59:00.000Z',
    });
    expect((await handler(invoke({ async: true }))).statusCode).toBe(202);

    const stale = fakeLambda(() => ok(), { keyMaxConcurrent: 1, now: '2025-01-01T00:00:00.000Z' });
    stale.objects.data.set(`${activeRunsPrefix('p', 'key-a')}${'s'.repeat(36)}`, JSON.stringify({ since: '2024-12-31T22:00:00.000Z' }));
    expect((await createHandler(stale.deps)(invoke())).statusCode).toBe(200);
    expect(marks(stale.objects)).toEqual([]);
  });

  it('marks nothing with KEY_MAX_CONCURRENT=0', async () => {
    const fake = asyncRuntime({ keyMaxConcurrent: 0 });
    const handler = createHandler(fake.deps);
    for (let i = 0; i < 6; i++) expect((await handler(invoke({ async: true }))).statusCode).toBe(202);
    expect(marks(fake.objects)).toEqual([]);
  });

  it('takes the mark away when the runtime cannot be reached', async () => {
    const fake = fakeLambda(() => Promise.reject(Object.assign(new Error('down'), { name: 'InternalServerException' })), {
      keyMaxConcurrent: 1,
    });
    expect((await createHandler(fake.deps)(invoke())).statusCode).toBe(502);
    expect(marks(fake.objects)).toEqual([]);
  });

  it("leaves a session's mark to the run in progress when a second request for it comes (the runtime answers 409)", async () => {
    const id = 'one-session-'.padEnd(40, 'x');
    let n = 0;
    const fake = fakeLambda(() => (++n === 1 ? ok({ invocation_id: 'inv-1' }, 202) : Promise.reject(fromRuntime(409))), {
      keyMaxConcurrent: 1,
    });
    const handler = createHandler(fake.deps);
    expect((await handler(invoke({ async: true, session_id: id }))).statusCode).toBe(202);
    expect((await handler(invoke({ session_id: id }))).statusCode).toBe(409);
    expect(marks(fake.objects)).toHaveLength(1);
    expect((await handler(invoke({ async: true }))).statusCode).toBe(429);
  });
});
