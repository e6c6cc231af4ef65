import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/index.js';
import { DEFAULT_KEY_LIMITS, resolveKeyLimits, validateKeyName } from './key-limits.js';

function errorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('resolveKeyLimits', () => {
  it('defaults to the original usage plan and overlays what is given', () => {
    expect(DEFAULT_KEY_LIMITS).toEqual({ ratePerS: 10, burst: 20, dailyQuota: 1000, maxConcurrent: 4 });
    expect(resolveKeyLimits()).toEqual(DEFAULT_KEY_LIMITS);
    expect(resolveKeyLimits({ ratePerS: 0.5, burst: 1, dailyQuota: 1e9, maxConcurrent: 1000 })).toEqual({
      ratePerS: 0.5,
      burst: 1,
      dailyQuota: 1e9,
      maxConcurrent: 1000,
    });
    expect(resolveKeyLimits({ burst: undefined, maxConcurrent: 2 })).toEqual({ ...DEFAULT_KEY_LIMITS, maxConcurrent: 2 });
    expect(resolveKeyLimits({ ratePerS: 10_000 }).ratePerS).toBe(10_000);
  });

  it.each([
    ['ratePerS', 0, 'greater than 0 and at most 10000'],
    ['ratePerS', -1, 'greater than 0 and at most 10000'],
    ['ratePerS', 10_000.5, 'greater than 0 and at most 10000'],
    ['ratePerS', Number.NaN, 'greater than 0 and at most 10000'],
    ['ratePerS', Number.POSITIVE_INFINITY, 'greater than 0 and at most 10000'],
    ['burst', 0, 'from 1 to 100000'],
    ['burst', 1.5, 'from 1 to 100000'],
    ['burst', 100_001, 'from 1 to 100000'],
    ['dailyQuota', 0, 'from 1 to 1000000000'],
    ['dailyQuota', 1e9 + 1, 'from 1 to 1000000000'],
    ['maxConcurrent', -3, 'from 1 to 1000'],
    ['maxConcurrent', 1001, 'from 1 to 1000'],
  ] as const)('rejects %s = %s, naming the field and the range', (field, value, range) => {
    const err = errorOf(() => resolveKeyLimits({ [field]: value }));
    expect(err.message).toContain(field);
    expect(err.message).toContain(range);
    expect(err.status).toBe(400);
    expect(err.toJSON()).toMatchObject({ field });
  });
});

describe('validateKeyName', () => {
  it('accepts 1 to 64 printable characters, counting code points', () => {
    expect(() => validateKeyName('a')).not.toThrow();
    expect(() => validateKeyName('ci bot: nightly (prod) é 鍵')).not.toThrow();
    expect(() => validateKeyName('x'.repeat(64))).not.toThrow();
    expect(() => validateKeyName('😀'.repeat(64))).not.toThrow();
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(65)],
    ['only spaces', '   '],
    ['a newline', 'a\nb'],
    ['an escape sequence', 'a\u001b[31mred'],
    ['a NUL', 'a\u0000'],
    ['a line separator', 'a\u2028b'],
    ['a right-to-left override', 'a\u202eb'],
  ])('rejects %s', (_label, name) => {
    const err = errorOf(() => validateKeyName(name));
    expect(err.message).toContain('1 to 64 printable characters');
    expect(err.toJSON()).toMatchObject({ field: 'name' });
  });
});
