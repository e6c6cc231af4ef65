import { describe, expect, it } from 'vitest';
import { UrlSigner } from './signer.js';

const signer = new UrlSigner(Buffer.from('test-secret-0123456789'));
const key = 'outputs/20240309_070504_0a1b2c3d/report.md';
const expires = 1_700_000_600;
const now = 1_700_000_000;

describe('UrlSigner', () => {
  it('signs with lowercase hex HMAC-SHA256', () => {
    expect(signer.sign(key, expires)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('verifies its own signature before expiry and at the expiry second', () => {
    const signature = signer.sign(key, expires);
    expect(signer.verify(key, expires, signature, now)).toBe(true);
    expect(signer.verify(key, expires, signature, expires)).toBe(true);
  });

  it('rejects an expired link', () => {
    expect(signer.verify(key, expires, signer.sign(key, expires), expires + 1)).toBe(false);
  });

  it('rejects a tampered key, expiry or signature', () => {
    const signature = signer.sign(key, expires);
    expect(signer.verify(`${key}x`, expires, signature, now)).toBe(false);
    expect(signer.verify(key, expires + 1, signature, now)).toBe(false);
    const flipped = (signature[0] === 'a' ? 'b' : 'a') + signature.slice(1);
    expect(signer.verify(key, expires, flipped, now)).toBe(false);
  });

  it('rejects malformed signatures and expiries without throwing', () => {
    const signature = signer.sign(key, expires);
    expect(signer.verify(key, expires, signature.slice(0, 62), now)).toBe(false);
    expect(signer.verify(key, expires, `${signature}00`, now)).toBe(false);
    expect(signer.verify(key, expires, signature.toUpperCase(), now)).toBe(false);
    expect(signer.verify(key, expires, '', now)).toBe(false);
    expect(signer.verify(key, Number.NaN, signature, now)).toBe(false);
    expect(signer.verify(key, expires + 0.5, signature, now)).toBe(false);
  });

  it('rejects a signature made with another secret', () => {
    const other = new UrlSigner(Buffer.from('another-secret-0123456789'));
    expect(signer.verify(key, expires, other.sign(key, expires), now)).toBe(false);
  });

  it('is not affected by later changes to the buffer it was given', () => {
    const secret = Buffer.from('mutable-secret-0123456789');
    const mine = new UrlSigner(secret);
    const signature = mine.sign(key, expires);
    secret.fill(0);
    expect(mine.verify(key, expires, signature, now)).toBe(true);
  });

  it('refuses an empty secret', () => {
    expect(() => new UrlSigner(Buffer.alloc(0))).toThrow(/empty/);
  });
});
