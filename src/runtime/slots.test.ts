import { describe, expect, it } from 'vitest';
import { BusyError, KeyQueueFullError, toErrorResponse } from '../errors/index.js';
import { RunSlots } from './slots.js';

/** Lets settled promises run their callbacks. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Tracks which acquisitions have been granted, by label, in grant order. */
function recorder() {
  const granted: string[] = [];
  const releases = new Map<string, () => void>();
  const track = (label: string, p: Promise<() => void>) =>
    p.then((release) => {
      granted.push(label);
      releases.set(label, release);
    });
  const release = (label: string) => releases.get(label)?.();
  return { granted, track, release };
}

describe('RunSlots', () => {
  it('lets one owner hold only its share of the queue: its next run is a 429, other owners still queue', async () => {
    const slots = new RunSlots({ globalMax: 1, maxQueue: 10 });
    const r = recorder();
    void r.track('k1-run', slots.acquire('k1', 1, undefined, 2));
    void r.track('k1-q1', slots.acquire('k1', 1, undefined, 2));
    void r.track('k1-q2', slots.acquire('k1', 1, undefined, 2));
    let refused: unknown;
    try {
      void slots.acquire('k1', 1, undefined, 2);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(KeyQueueFullError);
    const response = toErrorResponse(refused);
    expect(response.status).toBe(429);
    expect(response.headers['Retry-After']).toBe('5');
    expect(response.body).toMatchObject({ code: 'key_queue_full', retry_after_s: 5 });
    expect(response.body.message).toMatch(/2 run\(s\) waiting.*cancel.*cca keys update KEY_ID --max-queued/);
    expect(slots.queuedFor('k1')).toBe(2);

    // Another key is not held back by k1's share, and the global queue still has room.
    void r.track('k2-q1', slots.acquire('k2', 1, undefined, 2));
    expect(slots.queued).toBe(3);

    // Once one of k1's waiters starts, k1 may queue again.
    await flush();
    r.release('k1-run');
    await flush();
    expect(r.granted).toEqual(['k1-run', 'k1-q1']);
    expect(slots.queuedFor('k1')).toBe(1);
    void r.track('k1-q3', slots.acquire('k1', 1, undefined, 2));
    expect(slots.queuedFor('k1')).toBe(2);
  });

  it('frees a queued place of its owner when the waiter is cancelled', async () => {
    const slots = new RunSlots({ globalMax: 1, maxQueue: 10 });
    void slots.acquire('k1', 1, undefined, 1);
    const controller = new AbortController();
    const waiting = slots.acquire('k1', 1, controller.signal, 1);
    waiting.catch(() => undefined);
    expect(() => slots.acquire('k1', 1, undefined, 1)).toThrow(KeyQueueFullError);
    controller.abort('cancelled');
    await flush();
    expect(slots.queuedFor('k1')).toBe(0);
    void slots.acquire('k1', 1, undefined, 1);
    expect(slots.queuedFor('k1')).toBe(1);
  });

  it('never runs more than the global limit; a release starts the next waiter', async () => {
    const slots = new RunSlots({ globalMax: 2, maxQueue: 10 });
    const r = recorder();
    for (const label of ['a', 'b', 'c', 'd']) void r.track(label, slots.acquire(undefined, 1));
    await flush();
    expect(r.granted).toEqual(['a', 'b']);
    expect([slots.active, slots.queued]).toEqual([2, 2]);

    r.release('a');
    await flush();
    expect(r.granted).toEqual(['a', 'b', 'c']);
    expect([slots.active, slots.queued]).toEqual([2, 1]);
  });

  it('holds an owner at its own limit while other owners proceed past its waiters', async () => {
    const slots = new RunSlots({ globalMax: 4, maxQueue: 10 });
    const r = recorder();
    void r.track('k1-1', slots.acquire('k1', 2));
    void r.track('k1-2', slots.acquire('k1', 2));
    void r.track('k1-3', slots.acquire('k1', 2));
    void r.track('k2-1', slots.acquire('k2', 2));
    void r.track('anon', slots.acquire(undefined, 1));
    await flush();
    expect(r.granted).toEqual(['k1-1', 'k1-2', 'k2-1', 'anon']);
    expect([slots.active, slots.queued]).toEqual([4, 1]);

    // A slot freed by another owner cannot go to k1, which is still at 2.
    void r.track('k2-2', slots.acquire('k2', 2));
    r.release('anon');
    await flush();
    expect(r.granted.at(-1)).toBe('k2-2');
    expect(slots.queued).toBe(1);

    r.release('k1-1');
    await flush();
    expect(r.granted.at(-1)).toBe('k1-3');
    expect([slots.active, slots.queued]).toEqual([4, 0]);
  });

  it('serves waiters first come, first served', async () => {
    const slots = new RunSlots({ globalMax: 1, maxQueue: 10 });
    const r = recorder();
    for (const label of ['first', 'w1', 'w2', 'w3']) void r.track(label, slots.acquire(label, 1));
    await flush();
    for (const label of ['first', 'w1', 'w2']) {
      r.release(label);
      await flush();
    }
    expect(r.granted).toEqual(['first', 'w1', 'w2', 'w3']);
  });

  it('refuses at once (a synchronous throw) with BusyError and Retry-After when the queue is full', async () => {
    const slots = new RunSlots({ globalMax: 1, maxQueue: 2, retryAfterS: 7 });
    await slots.acquire('a', 1);
    void slots.acquire('b', 1);
    void slots.acquire('c', 1);

    let err: unknown;
    try {
      void slots.acquire('d', 1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BusyError);
    expect((err as BusyError).retryAfterS).toBe(7);
    expect((err as BusyError).message).toMatch(/at capacity.*retry after 7 s/);
    const response = toErrorResponse(err);
    expect(response.status).toBe(503);
    expect(response.headers).toEqual({ 'Retry-After': '7' });
    expect(slots.queued).toBe(2);

    const noQueue = new RunSlots({ globalMax: 1, maxQueue: 0 });
    await noQueue.acquire(undefined, 1);
    expect(() => noQueue.acquire(undefined, 1)).toThrow(expect.objectContaining({ retryAfterS: 5 }));
  });

  it('makes release idempotent: a second call frees nothing', async () => {
    const slots = new RunSlots({ globalMax: 2, maxQueue: 10 });
    const release = await slots.acquire('a', 2);
    await slots.acquire('b', 2);
    const r = recorder();
    void r.track('c', slots.acquire('c', 2));
    void r.track('d', slots.acquire('d', 2));

    release();
    release();
    await flush();
    expect(r.granted).toEqual(['c']);
    expect([slots.active, slots.queued]).toEqual([2, 1]);
  });

  it('removes an aborted waiter from the queue and rejects it with the reason', async () => {
    const slots = new RunSlots({ globalMax: 1, maxQueue: 1 });
    const first = await slots.acquire('a', 1);
    const controller = new AbortController();
    const waiting = slots.acquire('b', 1, controller.signal);
    expect(slots.queued).toBe(1);

    const reason = new Error('client went away');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(slots.queued).toBe(0);

    // Its queue place is free again, and a release does not hand it a slot.
    const r = recorder();
    void r.track('c', slots.acquire('c', 1));
    first();
    await flush();
    expect(r.granted).toEqual(['c']);
    expect(slots.active).toBe(1);

    const already = AbortSignal.abort(new Error('too late'));
    await expect(slots.acquire('d', 1, already)).rejects.toThrow('too late');
  });

  it('says why a caller would wait: the service is busy, or the owner runs its most', async () => {
    const slots = new RunSlots({ globalMax: 2, maxQueue: 5 });
    expect(slots.waitingFor('a', 1)).toBeUndefined();
    const a = await slots.acquire('a', 1);
    expect(slots.waitingFor('a', 1)).toBe('key_max_concurrent');
    expect(slots.waitingFor('b', 1)).toBeUndefined();
    expect(slots.waitingFor(undefined, Infinity)).toBeUndefined();
    await slots.acquire('b', 1);
    expect(slots.waitingFor('c', 1)).toBe('service_busy');
    a();
    expect(slots.waitingFor('c', 1)).toBeUndefined();
  });
});
