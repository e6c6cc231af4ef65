import { describe, expect, it } from 'vitest';
import { budgetWindows, dayBefore, daysBetween, isUtcDay, secondsUntil, utcDay } from './windows.js';

const at = (iso: string) => Date.parse(iso);

describe('budget windows (UTC calendar day and month)', () => {
  it('puts the last millisecond of a day in that day, and the next one in the next day and month', () => {
    const last = budgetWindows(at('2025-01-31T23:59:59.999Z'));
    expect(last.day).toEqual({ key: '2025-01-31', startMs: at('2025-01-31T00:00:00Z'), endMs: at('2025-02-01T00:00:00Z') });
    expect(last.month).toEqual({ key: '2025-01', startMs: at('2025-01-01T00:00:00Z'), endMs: at('2025-02-01T00:00:00Z') });
    const next = budgetWindows(at('2025-02-01T00:00:00.000Z'));
    expect(next.day.key).toBe('2025-02-01');
    expect(next.month).toEqual({ key: '2025-02', startMs: at('2025-02-01T00:00:00Z'), endMs: at('2025-03-01T00:00:00Z') });
  });

  it('knows leap years and the turn of the year', () => {
    expect(budgetWindows(at('2024-02-29T12:00:00Z')).month.endMs).toBe(at('2024-03-01T00:00:00Z'));
    expect(budgetWindows(at('2025-12-31T23:00:00Z')).month).toMatchObject({ key: '2025-12', endMs: at('2026-01-01T00:00:00Z') });
    expect(budgetWindows(at('2025-12-31T23:00:00Z')).day.endMs).toBe(at('2026-01-01T00:00:00Z'));
  });

  it('ignores the local time zone: the same instant is the same window everywhere', () => {
    // 23:30 in New York on Jan 31 is already Feb 1 in UTC.
    expect(budgetWindows(at('2025-01-31T23:30:00-05:00')).day.key).toBe('2025-02-01');
  });

  it('counts whole seconds up to a reset, at least 1', () => {
    expect(secondsUntil(at('2025-02-01T00:00:00Z'), at('2025-01-31T23:59:59.001Z'))).toBe(1);
    expect(secondsUntil(at('2025-02-01T00:00:00Z'), at('2025-01-31T23:00:00Z'))).toBe(3600);
    expect(secondsUntil(at('2025-02-01T00:00:00Z'), at('2025-02-01T00:00:00Z'))).toBe(1);
  });

  it('lists days, checks them and steps back', () => {
    expect(daysBetween('2024-02-28', '2024-03-01')).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
    expect(daysBetween('2025-01-02', '2025-01-01')).toEqual([]);
    expect(isUtcDay('2025-02-28')).toBe(true);
    for (const bad of ['2025-02-30', '2025-2-3', '2025-13-01', 'yesterday', '2025-01-01T00:00:00Z', ''])
      expect(isUtcDay(bad), bad).toBe(false);
    expect(dayBefore('2025-03-01', 1)).toBe('2025-02-28');
    expect(dayBefore('2025-01-01', 365)).toBe('2024-01-02');
    expect(utcDay(at('2025-01-01T00:00:00Z') - 1)).toBe('2024-12-31');
  });
});
