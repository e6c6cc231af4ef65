import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../store/index.js';
import { DeliveryStore, type NewDelivery } from './delivery-store.js';

const dirs: string[] = [];
const dbs: Db[] = [];

async function store(): Promise<{ store: DeliveryStore; dir: string; db: Db }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-deliveries-'));
  dirs.push(dir);
  const db = openDatabase(dir);
  dbs.push(db);
  return { store: new DeliveryStore(db), dir, db };
}

afterEach(async () => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const T0 = new Date('2025-01-01T12:00:00.000Z');
const delivery = (id: string, over: Partial<NewDelivery> = {}): NewDelivery => ({
  id,
  sessionId: 's-1',
  invocationId: 'i-1',
  ownerKeyId: 'k1',
  type: 'invocation.completed',
  url: 'https://example.com/h',
  payload: '{}',
  createdAt: T0,
  ...over,
});

describe('DeliveryStore', () => {
  it('keeps the subscription of an invocation', async () => {
    const { store: s } = await store();
    expect(s.subscriptionOf('i-1')).toBeUndefined();
    s.subscribe({
      invocationId: 'i-1',
      sessionId: 's-1',
      ownerKeyId: null,
      url: 'https://e/h',
      events: ['permission.request'],
      source: 'request',
      baseUrl: 'https://api',
    });
    expect(s.subscriptionOf('i-1')).toEqual({
      invocationId: 'i-1',
      sessionId: 's-1',
      ownerKeyId: null,
      url: 'https://e/h',
      events: ['permission.request'],
      source: 'request',
      baseUrl: 'https://api',
    });
  });

  it('hands out due pending deliveries oldest first, records attempts, and knows when the next is due', async () => {
    const { store: s } = await store();
    s.enqueue(delivery('msg_a'));
    s.enqueue(delivery('msg_b', { createdAt: new Date(T0.getTime() + 1000) }));
    expect(s.nextDueAt()).toEqual(T0);
    expect(s.due(T0, 10).map((d) => d.id)).toEqual(['msg_a']);
    expect(s.due(new Date(T0.getTime() + 1000), 10).map((d) => d.id)).toEqual(['msg_a', 'msg_b']);

    const later = new Date(T0.getTime() + 60_000);
    s.record('msg_a', { state: 'pending', attempts: 1, attemptAt: T0, status: 500, error: 'answered 500', nextAttemptAt: later });
    expect(s.due(new Date(T0.getTime() + 1000), 10).map((d) => d.id)).toEqual(['msg_b']);
    s.record('msg_b', { state: 'delivered', attempts: 1, attemptAt: T0, status: 204, error: null, nextAttemptAt: null });
    expect(s.get('msg_b')).toMatchObject({
      state: 'delivered',
      attempts: 1,
      last_status: 204,
      delivered_at: T0.toISOString(),
      next_attempt_at: null,
    });
    expect(s.nextDueAt()).toEqual(later);
    expect(s.get('msg_a')).toMatchObject({ state: 'pending', attempts: 1, last_status: 500, last_error: 'answered 500' });
    s.record('msg_a', { state: 'failed', attempts: 2, attemptAt: later, status: 410, error: 'gone', nextAttemptAt: null });
    expect(s.nextDueAt()).toBeUndefined();
  });

  it("hands out due deliveries fairly across owners: one owner's backlog does not hide another's", async () => {
    const { store: s } = await store();
    const at = (ms: number) => new Date(T0.getTime() + ms);
    for (let i = 0; i < 600; i++) s.enqueue(delivery(`busy-${i}`, { ownerKeyId: 'busy', createdAt: at(i) }));
    s.enqueue(delivery('quiet', { ownerKeyId: 'quiet', createdAt: at(700) }));
    s.enqueue(delivery('operator', { ownerKeyId: null, createdAt: at(800) }));
    const due = s.due(at(1000), 500, 100).map((d) => d.id);
    expect(due).toHaveLength(102);
    // Round by round: each owner's first, the longest waiting first, then each owner's second...
    expect(due.slice(0, 4)).toEqual(['busy-0', 'quiet', 'operator', 'busy-1']);
    expect(due.at(-1)).toBe('busy-99');
  });

  it("puts an owner's permission requests before its other due deliveries: they expire", async () => {
    const { store: s } = await store();
    const at = (ms: number) => new Date(T0.getTime() + ms);
    for (let i = 0; i < 3; i++) s.enqueue(delivery(`end-${i}`, { createdAt: at(i) }));
    s.enqueue(delivery('ask', { type: 'permission.request', createdAt: at(10) }));
    expect(s.due(at(10), 500, 2).map((d) => d.id)).toEqual(['ask', 'end-0']);
  });

  it('keeps at most maxPending deliveries of a key pending: recording one more gives up on its oldest, saying why', async () => {
    const { store: s } = await store();
    const at = (ms: number) => new Date(T0.getTime() + ms);
    for (let i = 0; i < 3; i++) expect(s.enqueue(delivery(`m${i}`, { createdAt: at(i) }), 3).evicted).toBe(0);
    s.enqueue(delivery('other', { ownerKeyId: 'k2' }), 3);
    s.enqueue(delivery('op', { ownerKeyId: null }), 3);
    expect(s.enqueue(delivery('m3', { createdAt: at(3) }), 3).evicted).toBe(1);
    expect(s.pendingOf('k1', 's-1')).toBe(3);
    expect(s.pendingOf(null, 's-1')).toBe(1);
    expect(s.get('m0')).toMatchObject({
      state: 'failed',
      next_attempt_at: null,
      last_error: expect.stringMatching(/^not sent: API key k1 had more than 3 deliveries pending/),
    });
    expect(['m1', 'm2', 'm3', 'other', 'op'].map((id) => s.get(id)?.state)).toEqual(Array(5).fill('pending'));
  });

  it("caps the operator's deliveries per session: one session's backlog never gives up another's", async () => {
    // Under `cca runtime` every delivery is the operator's (owner null): one owner for all sessions.
    const { store: s } = await store();
    const op = (id: string, sessionId: string) => delivery(id, { ownerKeyId: null, sessionId });
    s.enqueue(op('quiet', 's-quiet'), 2);
    for (let i = 0; i < 4; i++) s.enqueue(op(`busy${i}`, 's-busy'), 2);
    expect(s.get('quiet')?.state).toBe('pending');
    expect(['busy0', 'busy1', 'busy2', 'busy3'].map((id) => s.get(id)?.state)).toEqual(['failed', 'failed', 'pending', 'pending']);
    expect(s.get('busy0')?.last_error).toMatch(/^not sent: session s-busy had more than 2 deliveries pending/);
    expect([s.pendingOf(null, 's-busy'), s.pendingOf(null, 's-quiet')]).toEqual([2, 1]);
  });

  it('never gives up a permission request at the pending cap: a run waits for its answer', async () => {
    const { store: s } = await store();
    const at = (ms: number) => new Date(T0.getTime() + ms);
    s.enqueue(delivery('ask', { type: 'permission.request', createdAt: at(0) }), 2);
    for (let i = 0; i < 3; i++) s.enqueue(delivery(`end${i}`, { createdAt: at(i + 1) }), 2);
    expect(['ask', 'end0', 'end1', 'end2'].map((id) => s.get(id)?.state)).toEqual(['pending', 'failed', 'failed', 'pending']);
  });

  it('does not record an attempt over a delivery given up while the attempt was in flight', async () => {
    const { store: s } = await store();
    s.enqueue(delivery('m0'), 1);
    // The dispatcher has m0 in flight (pending, 0 attempts) when a newer delivery evicts it.
    expect(s.enqueue(delivery('m1'), 1).evicted).toBe(1);
    const delivered = { state: 'delivered' as const, attempts: 1, attemptAt: T0, status: 200, error: null, nextAttemptAt: null };
    expect(s.record('m0', delivered)).toBe(false);
    expect(s.get('m0')).toMatchObject({ state: 'failed', attempts: 0, last_error: expect.stringMatching(/^not sent/) });
    // Given up and sent again meanwhile: pending anew, and the stale attempt's answer is not the new one's.
    expect(s.requeue('m0', T0)).toBe(true);
    expect(s.record('m0', { ...delivered, attempts: 3 })).toBe(false);
    expect(s.get('m0')).toMatchObject({ state: 'pending', attempts: 0 });
    expect(s.record('m0', delivered)).toBe(true);
    expect(s.get('m0')).toMatchObject({ state: 'delivered', attempts: 1 });
  });

  it("serves the due and per-owner queries from indexes: only due or only the owner's pending rows are read", async () => {
    const { db } = await store();
    const plan = (sql: string, ...args: unknown[]) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail).join('\n');
    const due = plan(DeliveryStore.DUE_SQL, T0.toISOString(), 100, 500);
    expect(due).toMatch(/SEARCH webhook_deliveries USING INDEX webhook_deliveries_due \(state=\? AND next_attempt_at<\?\)/);
    expect(due).not.toMatch(/SCAN webhook_deliveries/);
    expect(plan(DeliveryStore.PENDING_OF_SQL, 'k1')).toMatch(
      /SEARCH webhook_deliveries USING COVERING INDEX webhook_deliveries_pending_by_owner \(owner_key_id=\?\)/,
    );
    expect(plan(DeliveryStore.PENDING_OF_SESSION_SQL, 's-1')).toMatch(
      /SEARCH webhook_deliveries USING INDEX webhook_deliveries_by_session \(session_id=\?\)/,
    );
  });

  it('survives a reopen of the database: what was pending is pending still', async () => {
    const { store: s, dir, db } = await store();
    s.enqueue(delivery('msg_a'));
    db.close();
    const again = new DeliveryStore(openDatabase(dir));
    expect(again.due(T0, 10).map((d) => d.id)).toEqual(['msg_a']);
  });

  it("pages a session's deliveries newest first, by the last one's id, and refuses another session's id as a cursor", async () => {
    const { store: s } = await store();
    for (const id of ['m1', 'm2', 'm3']) s.enqueue(delivery(id));
    s.enqueue(delivery('other', { sessionId: 's-2' }));
    s.enqueue(delivery('m4', { invocationId: 'i-2' }));
    expect(s.page('s-1', { limit: 2 })?.map((d) => d.id)).toEqual(['m4', 'm3']);
    expect(s.page('s-1', { limit: 2, afterId: 'm3' })?.map((d) => d.id)).toEqual(['m2', 'm1']);
    expect(s.page('s-1', { limit: 10, invocationId: 'i-2' })?.map((d) => d.id)).toEqual(['m4']);
    expect(s.page('s-1', { limit: 2, afterId: 'other' })).toBeUndefined();
    expect(s.page('s-1', { limit: 2, afterId: 'nope' })).toBeUndefined();
  });

  it('prunes only finished deliveries older than the cut', async () => {
    const { store: s } = await store();
    s.enqueue(delivery('old-done'));
    s.enqueue(delivery('old-pending'));
    s.enqueue(delivery('new-done', { createdAt: new Date(T0.getTime() + 86_400_000) }));
    for (const id of ['old-done', 'new-done'])
      s.record(id, { state: 'delivered', attempts: 1, attemptAt: T0, status: 200, error: null, nextAttemptAt: null });
    expect(s.prune(new Date(T0.getTime() + 1000))).toBe(1);
    expect(s.get('old-done')).toBeUndefined();
    expect(s.get('old-pending')).toBeDefined();
    expect(s.get('new-done')).toBeDefined();
  });
});
