import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, ValidationError } from '../errors/index.js';
import { bodyTooLarge, parseJsonBody } from './body.js';

describe('parseJsonBody', () => {
  it('parses JSON with the same messages on every front, for empty and broken bodies', () => {
    expect(parseJsonBody(' {"a": 1} ')).toEqual({ a: 1 });
    expect(() => parseJsonBody('  ')).toThrow(/The body is empty/);
    expect(() => parseJsonBody('{')).toThrow(ValidationError);
    expect(() => parseJsonBody('{')).toThrow(/The body is not valid JSON \(.+\); send e.g./);
  });
});

describe('bodyTooLarge', () => {
  it('is a 413 naming the limit', () => {
    const err = bodyTooLarge(5);
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err.message).toBe('The body is larger than 5 bytes; send a shorter prompt.');
  });
});
