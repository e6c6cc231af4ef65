import { describe, expect, it } from 'vitest';
import { decideBudget, usd, type WindowStanding } from './budget.js';
import { budgetWindows } from './windows.js';

const NOW = Date.parse('2025-01-15T12:00:00Z');
const { day, month } = budgetWindows(NOW);

function standing(
  period: 'day' | 'month',
  limitUsd: number | null,
  spentUsd: number,
  committedUsd = spentUsd,
  activeRuns = 0,
): WindowStanding {
  return { period, window: period === 'day' ? day : month, limitUsd, spentUsd, committedUsd, activeRuns };
}

describe('decideBudget', () => {
  it("gives the request's budget when no limit is nearer", () => {
    expect(decideBudget([standing('day', null, 3), standing('month', null, 40)], 5)).toEqual({
      kind: 'granted',
      capUsd: 5,
      limitedBy: 'request',
    });
    expect(decideBudget([standing('day', 10, 1), standing('month', 100, 50)], 5)).toEqual({
      kind: 'granted',
      capUsd: 5,
      limitedBy: 'request',
    });
  });

  it('gives what is left of the tighter window, minus what runs in progress hold', () => {
    expect(decideBudget([standing('day', 5, 4.6), standing('month', 100, 50)], 5)).toMatchObject({
      capUsd: expect.closeTo(0.4, 9),
      limitedBy: 'day',
    });
    expect(decideBudget([standing('day', 5, 1), standing('month', 20, 19.75)], 5)).toMatchObject({ capUsd: 0.25, limitedBy: 'month' });
    // $1 spent, a run in progress holds $3 of it: $1 left for a new one.
    expect(decideBudget([standing('day', 5, 1, 4, 1), standing('month', null, 1, 4, 1)], 5)).toMatchObject({ capUsd: 1, limitedBy: 'day' });
  });

  it('refuses a spent budget (at it counts as spent), naming the window that resets last when both are', () => {
    expect(decideBudget([standing('day', 5, 5), standing('month', null, 5)], 1)).toMatchObject({
      kind: 'exceeded',
      standing: { period: 'day' },
    });
    expect(decideBudget([standing('day', 5, 6), standing('month', 6, 6)], 1)).toMatchObject({
      kind: 'exceeded',
      standing: { period: 'month' },
    });
    expect(decideBudget([standing('day', 0, 0), standing('month', null, 0)], 1)).toMatchObject({ kind: 'exceeded' });
  });

  it('says held when what is left is held by runs in progress', () => {
    expect(decideBudget([standing('day', 5, 2, 5, 2), standing('month', null, 2, 5, 2)], 1)).toMatchObject({
      kind: 'held',
      standing: { period: 'day', activeRuns: 2 },
    });
  });
});

describe('usd', () => {
  it('shows cents, and three significant digits under a dollar', () => {
    expect(usd(12.5)).toBe('$12.50');
    expect(usd(5)).toBe('$5.00');
    expect(usd(0.5)).toBe('$0.50');
    expect(usd(0.01234)).toBe('$0.0123');
    expect(usd(0)).toBe('$0.00');
    expect(usd(0.30000000000000004)).toBe('$0.30');
  });
});
