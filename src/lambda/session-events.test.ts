import { describe, expect, it } from 'vitest';
import { fakeLambda, lambdaEvent, seed } from '../../test/support/lambda-deps.js';
import { createHandler } from './app.js';
import { eventsAfter } from './event-log.js';

const ID = 'session-events-'.padEnd(40, 'x');
const NOW = '2025-01-01T01:00:00.000Z';
const events = (o: { query?: Record<string, string>; headers?: Record<string, string>; keyId?: string } = {}) =>
  lambdaEvent({ method: 'GET', path: `/sessions/${ID}/events`, ...o });
/** The ids of an SSE body, in order. */
const ids = (body: string) => [...body.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ id: from + i }));

describe('GET /sessions/{id}/events on AWS', () => {
  it('replays the log after `after`, from the segment holding it on, as the local SSE framing', async () => {
    const { deps, objects } = fakeLambda(undefined, { now: NOW });
    seed(objects, 'p', {
      id: ID,
      owner: 'key-a',
      state: { invocation_id: 'inv-1', status: 'succeeded', updated_at: '2025-01-01T00:00:00.000Z' },
      segments: {
        1: range(1, 4),
        5: range(5, 6),
        7: [{ id: 7, type: 'invocation.completed', data: { status: 'succeeded', output: null } }],
      },
    });
    const handler = createHandler(deps);
    const all = await handler(events());
    expect(all.statusCode).toBe(200);
    expect(all.headers).toMatchObject({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Access-Control-Allow-Origin': '*' });
    expect(ids(all.body)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(all.body).toMatch(/^id: 1\nevent: assistant\.text\ndata: \{"session_id":/);
    // Idle: no reconnection hint, as the local stream simply ends.
    expect(all.body).not.toMatch(/^retry:/m);
    expect(ids((await handler(events({ query: { after: '3' } }))).body)).toEqual([4, 5, 6, 7]);
    expect(ids((await handler(events({ query: { after: '1' }, headers: { 'Last-Event-ID': '5' } }))).body)).toEqual([6, 7]);
    expect(ids((await handler(events({ query: { after: '7' } }))).body)).toEqual([]);
  });

  it('answers a bad event id and a foreign session as the local route does', async () => {
    const { deps, objects } = fakeLambda();
    seed(objects, 'p', { id: ID, owner: 'key-a' });
    const handler = createHandler(deps);
    const bad = await handler(events({ query: { after: '-1' } }));
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({
      field: 'after',
      message: 'Last-Event-ID / after must be the id of an event (a non-negative integer).',
    });
    expect((await handler(events({ keyId: 'key-b' }))).statusCode).toBe(404);
  });

  it('waits for an event of a running session and answers it as soon as it lands, asking to reconnect', async () => {
    let polls = 0;
    const fake = fakeLambda(undefined, {
      now: NOW,
      onSleep: () => {
        if (++polls === 3) seed(fake.objects, 'p', { id: ID, segments: { 3: range(3, 4) } });
      },
    });
    seed(fake.objects, 'p', { id: ID, owner: 'key-a', state: { invocation_id: 'inv-1', status: 'running' }, segments: { 1: range(1, 2) } });
    const res = await createHandler(fake.deps)(events({ query: { after: '2' } }));
    expect(ids(res.body)).toEqual([3, 4]);
    expect(polls).toBe(3);
    expect(res.body.startsWith('retry: 1000\n\n')).toBe(true);
  });

  it('gives up waiting after EVENTS_WAIT_S with an empty answer, under API Gateway’s 29 s', async () => {
    const fake = fakeLambda(undefined, { now: NOW });
    seed(fake.objects, 'p', { id: ID, owner: 'key-a', state: { invocation_id: 'inv-1', status: 'queued' } });
    const started = fake.clock.now;
    const res = await createHandler(fake.deps)(events());
    expect(res.statusCode).toBe(200);
    expect(ids(res.body)).toEqual([]);
    expect(fake.clock.now - started).toBe(20_000);
  });

  it('answers at once for an idle session, and for one whose lease ran out (its runtime died)', async () => {
    const fake = fakeLambda(undefined, { now: NOW });
    seed(fake.objects, 'p', { id: ID, owner: 'key-a', state: { invocation_id: 'inv-1', status: 'succeeded' } });
    const handler = createHandler(fake.deps);
    await handler(events());
    expect(fake.clock.now).toBe(Date.parse(NOW));
    seed(fake.objects, 'p', { id: ID, state: { invocation_id: 'inv-2', status: 'running' }, lease: '2025-01-01T00:59:00.000Z' });
    await handler(events());
    expect(fake.clock.now).toBe(Date.parse(NOW));
  });

  it('keeps waiting a moment after a run ended until its invocation.completed is in the log', async () => {
    let polls = 0;
    const fake = fakeLambda(undefined, {
      now: NOW,
      onSleep: () => {
        if (++polls === 2)
          seed(fake.objects, 'p', {
            id: ID,
            segments: { 2: [{ id: 2, type: 'invocation.completed', data: { status: 'succeeded', output: null } }] },
          });
      },
    });
    seed(fake.objects, 'p', {
      id: ID,
      owner: 'key-a',
      state: { invocation_id: 'inv-1', status: 'succeeded', updated_at: '2025-01-01T00:59:58.000Z' },
      segments: { 1: range(1, 1) },
    });
    const res = await createHandler(fake.deps)(events({ query: { after: '1' } }));
    expect(ids(res.body)).toEqual([2]);
  });
});

describe('eventsAfter', () => {
  it('stops at the budget, so the client resumes after the last id', async () => {
    const { objects } = fakeLambda();
    seed(objects, 'p', { id: ID, segments: { 1: range(1, 10) } });
    expect((await eventsAfter(objects, 'p', ID, 0, { events: 4, bytes: 1e6 })).map((e) => e.id)).toEqual([1, 2, 3, 4]);
    expect((await eventsAfter(objects, 'p', ID, 0, { events: 100, bytes: 1 })).map((e) => e.id)).toEqual([1]);
  });

  it('stops at a torn line instead of skipping past it', async () => {
    const { objects } = fakeLambda();
    seed(objects, 'p', { id: ID, segments: { 1: range(1, 2), 3: range(3, 3) } });
    const key = [...objects.data.keys()].find((k) => k.endsWith('000000000001.jsonl')) ?? '';
    objects.data.set(key, `${objects.data.get(key)?.slice(0, -20)}`);
    expect((await eventsAfter(objects, 'p', ID, 0)).map((e) => e.id)).toEqual([1]);
  });
});
