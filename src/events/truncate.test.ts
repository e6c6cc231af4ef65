import { describe, expect, it } from 'vitest';
import { EVENT_TEXT_LIMIT } from '../schemas/events.js';
import { truncate } from './truncate.js';

describe('truncate', () => {
  it('leaves text within the limit alone', () => {
    expect(truncate('hello', 5)).toBe('hello');
    expect(truncate('x'.repeat(EVENT_TEXT_LIMIT))).toBe('x'.repeat(EVENT_TEXT_LIMIT));
  });

  it('cuts at the limit and says how much was cut', () => {
    expect(truncate('x'.repeat(EVENT_TEXT_LIMIT + 10))).toBe(`${'x'.repeat(EVENT_TEXT_LIMIT)}… [truncated 10 chars]`);
    expect(truncate('abcdef', 4)).toBe('abcd… [truncated 2 chars]');
  });

  it('never splits a surrogate pair', () => {
    // '😀' is two UTF-16 units; a cut after 'ab' + its first half would leave a lone surrogate.
    const out = truncate('ab😀cd', 3);
    expect(out).toBe('ab… [truncated 4 chars]');
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(out)).toBe(false);
    expect(truncate('ab😀cd', 4)).toBe('ab😀… [truncated 2 chars]');
  });
});
