import { describe, expect, it } from 'vitest';
import { bytesOfName, displayName, fsPath, hasEscapes, nameFromBytes } from './names.js';

const bytes = (...b: number[]) => Buffer.from(b);

describe('nameFromBytes / bytesOfName', () => {
  it('reads UTF-8 names as their text', () => {
    expect(nameFromBytes(Buffer.from('résumé \u{1f600}.txt'))).toBe('résumé \u{1f600}.txt');
    expect(hasEscapes('résumé \u{1f600}.txt')).toBe(false);
  });

  it.each([
    ['a lone continuation byte', bytes(0x61, 0x80, 0x62)],
    ['0xFF 0xFE', bytes(0xff, 0xfe)],
    ['an overlong "/"', bytes(0xc0, 0xaf)],
    ['an encoded surrogate', bytes(0xed, 0xa0, 0x80)],
    ['a truncated sequence at the end', bytes(0x61, 0xe2, 0x82)],
    ['past U+10FFFF', bytes(0xf4, 0x90, 0x80, 0x80)],
    ['a valid astral char then a stray byte', bytes(0xf0, 0x90, 0x82, 0x80, 0x80)],
  ])('maps %s back to the very same bytes', (_name, raw) => {
    const name = nameFromBytes(raw);
    expect(hasEscapes(name)).toBe(true);
    expect(bytesOfName(name).equals(raw)).toBe(true);
    expect(displayName(name)).toContain('\uFFFD');
  });

  it('gives two names that differ only in invalid bytes two strings', () => {
    expect(nameFromBytes(bytes(0x61, 0xff))).not.toBe(nameFromBytes(bytes(0x61, 0xfe)));
  });

  it('joins a path with escapes as bytes, and a plain one as a string', () => {
    expect(fsPath('/w', 'a/b')).toBe('/w/a/b');
    const joined = fsPath('/w', `d/${nameFromBytes(bytes(0xff))}`);
    expect(Buffer.isBuffer(joined) && joined.equals(Buffer.concat([Buffer.from('/w/d/'), bytes(0xff)]))).toBe(true);
  });
});
