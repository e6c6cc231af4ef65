import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/index.js';
import { usageRange } from './range.js';

const NOW = Date.parse('2025-03-01T10:00:00Z');
const range = (query: Record<string, string>) =>
  usageRange({ ...query, days: query.days === undefined ? undefined : Number(query.days) }, NOW);

describe('the days GET /usage reads', () => {
  it('defaults to the last 30 days up to today (UTC), and counts days back from to', () => {
    expect(range({})).toEqual({ from: '2025-01-31', to: '2025-03-01' });
    expect(range({ days: '1' })).toEqual({ from: '2025-03-01', to: '2025-03-01' });
    expect(range({ days: '7', to: '2024-03-02' })).toEqual({ from: '2024-02-25', to: '2024-03-02' });
    expect(range({ from: '2024-03-02', to: '2025-03-01' })).toEqual({ from: '2024-03-02', to: '2025-03-01' });
  });

  it('refuses bad days, both from and days, a reversed range and one longer than 366 days, saying how to fix it', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ from: '2025-02-30' }, /from must be a UTC day written YYYY-MM-DD/],
      [{ to: 'today' }, /to must be a UTC day/],
      [{ from: '2025-01-01', days: '3' }, /either from or days/],
      [{ from: '2025-03-02' }, /is after to .* swap them/],
      [{ from: '2024-02-29' }, /longer than 366 days; ask for it in parts/],
    ];
    for (const [query, message] of cases) expect(() => range(query), JSON.stringify(query)).toThrow(message);
    expect(() => range({ from: '2024-02-29' })).toThrow(ValidationError);
    expect(range({ from: '2024-03-01' })).toEqual({ from: '2024-03-01', to: '2025-03-01' });
    for (const days of ['0', '367', '1.5', 'x']) expect(() => range({ days }), days).toThrow(/days must be a whole number from 1 to 366/);
  });
});
