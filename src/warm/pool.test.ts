import { describe, expect, it } from 'vitest';
import { silentLogger } from '../logging/index.js';
import { WarmPool, type DiscardReason, type Spare, type TakeResult } from './pool.js';
import type { WarmShape } from './shape.js';

const DEFAULT: WarmShape = {
  permissionMode: 'acceptEdits',
  tools: ['Write', 'Read'],
  maxTurns: 50,
  maxBudgetUsd: 5,
  model: undefined,
  egress: undefined,
};
const OTHER: WarmShape = { ...DEFAULT, maxTurns: 9 };

/** A spare the test controls: it exits when told, and counts its discards. */
interface FakeSpare extends Spare {
  shape: WarmShape;
  discarded: number;
  die(): void;
}

function harness(opts: { max?: number; idleMs?: number; maxAgeMs?: number; fail?: () => boolean } = {}) {
  let now = 1_000_000;
  const started: FakeSpare[] = [];
  const takes: TakeResult[] = [];
  const discards: DiscardReason[] = [];
  const pool = new WarmPool<FakeSpare>({
    max: opts.max ?? 3,
    idleMs: opts.idleMs ?? 60_000,
    maxAgeMs: opts.maxAgeMs ?? 600_000,
    maxStarting: 1,
    defaultShape: DEFAULT,
    log: silentLogger(),
    now: () => now,
    tickMs: 1e9,
    onTake: (r) => takes.push(r),
    onDiscard: (r) => discards.push(r),
    start: async (shape, sessionId) => {
      if (opts.fail?.()) throw new Error('no sandbox');
      let die = () => undefined as void;
      const spare: FakeSpare = {
        sessionId,
        shape,
        discarded: 0,
        exited: new Promise<void>((resolve) => (die = resolve)),
        die: () => die(),
        discard: async () => void spare.discarded++,
      };
      started.push(spare);
      return spare;
    },
  });
  /** Ticks until nothing is starting (each start resolves in a microtask). */
  const settle = async () => {
    for (let i = 0; i < 20; i++) {
      pool.tick();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { pool, started, takes, discards, settle, advance: (ms: number) => (now += ms) };
}

describe('WarmPool', () => {
  it('keeps one agent of the default shape, and a take gets it with its session id (a hit)', async () => {
    const { pool, started, takes, settle } = harness();
    pool.start();
    await settle();
    expect(pool.stats()).toMatchObject({ enabled: true, ready: 1, starting: 0, hits: 0, misses: 0, hit_rate: null });
    const spare = pool.take(DEFAULT);
    expect(spare).toBe(started[0]);
    pool.release(spare!);
    expect(pool.holds(spare!.sessionId)).toBe(false);
    expect(takes).toEqual(['hit']);
    expect(pool.stats()).toMatchObject({ hits: 1, misses: 0, hit_rate: 1 });
  });

  it('never gives the same agent twice, and refills after a take', async () => {
    const { pool, started, settle } = harness();
    pool.start();
    await settle();
    const first = pool.take(DEFAULT);
    // A taken agent counts toward its shape until its run ends: no replacement starts beside the run.
    await settle();
    expect(pool.stats()).toMatchObject({ ready: 0, starting: 0 });
    pool.release(first!);
    await settle();
    expect(pool.stats()).toMatchObject({ ready: 1 });
    const second = pool.take(DEFAULT);
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(new Set(started.map((s) => s.sessionId)).size).toBe(started.length);
  });

  it('misses a shape it does not keep, then keeps as many as its burst called for, within max', async () => {
    const { pool, settle } = harness({ max: 3 });
    pool.start();
    await settle();
    expect([pool.take(OTHER), pool.take(OTHER), pool.take(OTHER), pool.take(OTHER)]).toEqual([undefined, undefined, undefined, undefined]);
    expect(pool.stats().misses).toBe(4);
    await settle();
    const ready = pool.readySpares();
    // Four at once, but three at most: the default shape keeps its one, the burst's shape gets the rest.
    expect(ready.map((s) => s.shape.maxTurns).sort()).toEqual([50, 9, 9]);
  });

  it('lets a shape go when nobody asked for it within the idle time; the default keeps one', async () => {
    const { pool, settle, advance, discards } = harness({ max: 3, idleMs: 10_000 });
    pool.start();
    await settle();
    pool.take(OTHER);
    pool.take(OTHER);
    await settle();
    expect(pool.readySpares().filter((s) => s.shape.maxTurns === 9)).toHaveLength(2);
    advance(10_001);
    await settle();
    expect(pool.readySpares().map((s) => s.shape.maxTurns)).toEqual([50]);
    expect(discards.filter((d) => d === 'idle')).toHaveLength(2);
  });

  it('replaces an agent that dies while it waits, and one that grew too old', async () => {
    const { pool, started, settle, advance, discards } = harness({ maxAgeMs: 5000 });
    pool.start();
    await settle();
    const first = started[0]!;
    first.die();
    await settle();
    expect(discards).toEqual(['died']);
    expect(first.discarded).toBe(1);
    // Replaced after a pause (one that keeps dying is replaced ever more slowly).
    expect(pool.stats().ready).toBe(0);
    advance(1000);
    await settle();
    const second = pool.readySpares()[0];
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    advance(5000);
    await settle();
    expect(discards).toEqual(['died', 'age']);
    expect(pool.readySpares()[0]).not.toBe(second);
  });

  it('keeps a shape asked for once at none, and keeps it from its second request on', async () => {
    const { pool, settle, started } = harness({ max: 3 });
    pool.start();
    await settle();
    expect(pool.take(OTHER)).toBeUndefined();
    await settle();
    expect(started.filter((s) => s.shape.maxTurns === 9)).toHaveLength(0);
    expect(pool.take(OTHER)).toBeUndefined();
    await settle();
    expect(pool.readySpares().filter((s) => s.shape.maxTurns === 9)).toHaveLength(2);
  });

  it('never hands out an agent that cannot serve (it went over a limit while it waited)', async () => {
    const { pool, settle, started, discards } = harness();
    pool.start();
    await settle();
    Object.defineProperty(started[0]!, 'usable', { value: false });
    expect(pool.take(DEFAULT)).toBeUndefined();
    expect(discards).toEqual(['died']);
    expect(pool.stats()).toMatchObject({ hits: 0, misses: 1 });
  });

  it('takes back an untouched agent as it was: not a hit, its age kept, nothing started in its place', async () => {
    const { pool, settle, started, advance } = harness({ maxAgeMs: 5000 });
    pool.start();
    await settle();
    advance(3000);
    const spare = pool.take(DEFAULT)!;
    pool.giveBack(spare, DEFAULT);
    await settle();
    expect(pool.stats()).toMatchObject({ hits: 0, ready: 1, starting: 0 });
    expect(started).toHaveLength(1);
    // Its age counts from when it first became ready: 3 s + 2 s reach the 5 s limit.
    advance(2000);
    await settle();
    expect(pool.readySpares()[0]).not.toBe(spare);
    expect(pool.holds(spare.sessionId)).toBe(false);
  });

  it('ends, uncounted, an agent taken for a request refused once its id was seen elsewhere', async () => {
    const { pool, settle, discards, takes } = harness();
    pool.start();
    await settle();
    const spare = pool.take(DEFAULT)!;
    pool.giveBack(spare, DEFAULT, false);
    expect(spare.discarded).toBe(1);
    expect(discards).toEqual(['refused']);
    expect(takes).toEqual([]);
    expect(pool.holds(spare.sessionId)).toBe(false);
    expect(pool.stats().hits).toBe(0);
  });

  it('takes back an untouched agent, but never after close', async () => {
    const { pool, settle } = harness();
    pool.start();
    await settle();
    const spare = pool.take(DEFAULT)!;
    pool.giveBack(spare, DEFAULT);
    expect(pool.holds(spare.sessionId)).toBe(true);
    expect(pool.take(DEFAULT)).toBe(spare);
    await pool.close();
    pool.giveBack(spare, DEFAULT);
    expect(spare.discarded).toBe(1);
    expect(pool.take(DEFAULT)).toBeUndefined();
  });

  it('ends every agent at close, including one still starting', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const { pool, started, settle } = harness({ max: 2 });
    pool.start();
    await settle();
    pool.release(pool.take(DEFAULT)!);
    pool.take(DEFAULT);
    // The refill's start waits on the gate: the pool closes while it is starting.
    const original = (pool as unknown as { opts: { start: (s: WarmShape, id: string) => Promise<FakeSpare> } }).opts;
    const start = original.start;
    original.start = async (shape, id) => {
      await gate;
      return start(shape, id);
    };
    pool.tick();
    expect(pool.stats().starting).toBe(1);
    const closed = pool.close();
    release();
    await closed;
    expect(pool.stats()).toMatchObject({ ready: 0, starting: 0 });
    expect(started.at(-1)?.discarded).toBe(1);
  });

  it('backs off after a start fails instead of retrying in a loop', async () => {
    let failing = true;
    const { pool, settle, advance, started } = harness({ fail: () => failing });
    pool.start();
    await settle();
    expect(pool.stats().ready).toBe(0);
    failing = false;
    await settle();
    expect(started).toHaveLength(0);
    advance(1000);
    await settle();
    expect(pool.stats().ready).toBe(1);
  });

  it('is off with max 0: every take misses nothing and counts nothing', () => {
    const { pool, takes } = harness({ max: 0 });
    pool.start();
    expect(pool.take(DEFAULT)).toBeUndefined();
    pool.notEligible();
    expect(takes).toEqual([]);
    expect(pool.stats()).toMatchObject({ enabled: false, ready: 0 });
  });
  it('does not start (and then discard) an agent for every request refused after its take', async () => {
    const { pool, started, discards, settle, takes } = harness({ max: 3 });
    pool.start();
    await settle();
    expect(started).toHaveLength(1);
    // Ten default-shape requests, each refused after admission took the agent (429 queue full,
    // 402 budget spent, storage quota): nothing ran, the agent goes back.
    for (let i = 0; i < 10; i++) {
      const spare = pool.take(DEFAULT)!;
      expect(spare).toBeDefined();
      pool.giveBack(spare, DEFAULT);
      await settle();
    }
    // Nothing was used: one agent was enough.
    expect({ started: started.length, discards: discards.length, hits: pool.stats().hits }).toEqual({ started: 1, discards: 0, hits: 0 });
    expect(takes.filter((t) => t === 'hit')).toHaveLength(0);
  });

  it('does not restart, in a loop, agents that die soon after they are ready', async () => {
    const { pool, started, settle } = harness({ max: 1 });
    pool.start();
    // Each agent dies as soon as it is ready (over a limit while it waits: low disk, memory).
    for (let i = 0; i < 20; i++) {
      for (const s of pool.readySpares()) s.die();
      await settle();
    }
    // No time passed: a backoff allows a handful of starts, not one per tick.
    expect(started.length).toBeLessThanOrEqual(3);
  });
});
