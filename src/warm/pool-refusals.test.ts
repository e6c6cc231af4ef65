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

describe('WarmPool: give-backs and deaths', () => {
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
