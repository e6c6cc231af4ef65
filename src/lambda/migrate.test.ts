import { describe, expect, it } from 'vitest';
import { fakeLambda, seed } from '../../test/support/lambda-deps.js';
import { invocationKey } from '../state/index.js';
import { migrateSessions } from './migrate.js';
import { listOwnedSessions } from './owner-index.js';

const id = (n: number) => `session-${n}-`.padEnd(40, 'x');

describe('migrateSessions', () => {
  it('indexes sessions made before the owner index and records their state-only invocation, once', async () => {
    const { objects } = fakeLambda();
    seed(objects, 'p', { id: id(1), owner: 'key-a', indexed: false, state: { invocation_id: 'old', status: 'succeeded' } });
    seed(objects, 'p', { id: id(2), owner: 'key-a', createdAt: '2025-01-02T00:00:00.000Z' });
    seed(objects, 'p', { id: id(3), state: { invocation_id: 'direct', status: 'succeeded' } });
    seed(objects, 'other', { id: id(4), owner: 'key-a', indexed: false });

    const report = await migrateSessions(objects, 'p');
    expect(report).toEqual({
      sessions: 3,
      indexed: 1,
      records: 1,
      skipped: [{ session_id: id(3), reason: 'no owner record (not created through the API)' }],
    });
    expect((await listOwnedSessions(objects, 'p', 'key-a', 10)).entries.map((e) => e.sessionId)).toEqual([id(2), id(1)]);
    expect(JSON.parse(objects.data.get(invocationKey('p', id(1), 'old')) ?? '{}')).toMatchObject({
      invocation_id: 'old',
      status: 'succeeded',
    });

    const again = await migrateSessions(objects, 'p');
    expect(again).toMatchObject({ sessions: 3, indexed: 0, records: 0 });
  });

  it('never replaces a record the runtime wrote', async () => {
    const { objects } = fakeLambda();
    seed(objects, 'p', {
      id: id(1),
      owner: 'key-a',
      state: { invocation_id: 'inv', status: 'running' },
      records: [{ invocation_id: 'inv', status: 'succeeded', started_at: '2025-01-01T00:00:00.000Z' }],
    });
    expect((await migrateSessions(objects, 'p')).records).toBe(0);
    expect(JSON.parse(objects.data.get(invocationKey('p', id(1), 'inv')) ?? '{}').status).toBe('succeeded');
  });

  it('reports a session it cannot read and goes on with the rest', async () => {
    const { objects } = fakeLambda();
    seed(objects, 'p', { id: id(1), owner: 'key-a', indexed: false });
    objects.data.set(`p/sessions/${id(2)}/owner.json`, '{"owner": 7}');
    const report = await migrateSessions(objects, 'p');
    expect(report.indexed).toBe(1);
    expect(report.skipped).toEqual([{ session_id: id(2), reason: expect.stringMatching(/malformed/) }]);
  });
});
