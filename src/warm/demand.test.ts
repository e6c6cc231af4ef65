import { describe, expect, it } from 'vitest';
import { Demand, targets } from './demand.js';

describe('Demand', () => {
  it('counts the largest burst within a window, over the horizon only', () => {
    const d = new Demand();
    for (const t of [0, 100, 200, 5000, 5100]) d.record('a', t);
    expect(d.peak('a', 6000, 1000, 60_000)).toBe(3);
    // Past the horizon, the early burst no longer counts.
    expect(d.peak('a', 60_150, 1000, 60_000)).toBe(2);
    expect(d.peak('b', 6000, 1000, 60_000)).toBe(0);
  });

  it('lists shapes most recently asked first, and forgets the idle ones', () => {
    const d = new Demand();
    d.record('a', 0);
    d.record('b', 10);
    d.record('a', 20);
    expect(d.recent()).toEqual(['a', 'b']);
    d.prune(1000, 985);
    expect(d.recent()).toEqual(['a']);
  });
});

describe('targets', () => {
  it('gives every floor first, then a burst to the shapes asked for most recently, within max', () => {
    expect([
      ...targets(
        [
          { key: 'a', peak: 3, floor: 0 },
          { key: 'b', peak: 2, floor: 1 },
        ],
        2,
      ),
    ]).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
  });

  it('gives each shape its burst or floor, first come first, within max', () => {
    const got = targets(
      [
        { key: 'a', peak: 3, floor: 0 },
        { key: 'b', peak: 0, floor: 1 },
        { key: 'c', peak: 2, floor: 0 },
      ],
      4,
    );
    expect([...got]).toEqual([
      ['a', 3],
      ['b', 1],
      ['c', 0],
    ]);
  });
});
