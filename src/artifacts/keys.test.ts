import { describe, expect, it } from 'vitest';
import { encodeKey, keySegments, objectKey, outputPrefix } from './keys.js';

describe('outputPrefix', () => {
  it('is outputs/<UTC YYYYMMDD_HHMMSS>_<first 8 hex of the id without dashes>', () => {
    const startedAt = new Date('2024-03-09T07:05:04.999Z');
    expect(outputPrefix(startedAt, '0A1B-2c3d-4e5f-6789')).toBe('outputs/20240309_070504_0a1b2c3d');
  });

  it('uses UTC whatever the offset the date was written with', () => {
    expect(outputPrefix(new Date('2024-03-09T23:30:00-02:00'), 'ffffffff')).toBe('outputs/20240310_013000_ffffffff');
  });

  it('differs for two invocations started in the same second', () => {
    const at = new Date('2024-03-09T07:05:04Z');
    const a = outputPrefix(at, '3f2a9c10-0000-4000-8000-000000000000');
    const b = outputPrefix(new Date(at.getTime() + 500), '9b7e1d22-0000-4000-8000-000000000000');
    expect(a).not.toBe(b);
  });

  it('sorts by start time', () => {
    const earlier = outputPrefix(new Date('2024-03-09T07:05:04Z'), 'ffffffff');
    const later = outputPrefix(new Date('2024-03-09T07:05:05Z'), '00000000');
    expect([later, earlier].sort()).toEqual([earlier, later]);
  });

  it('refuses an id that is not hex, since it becomes part of a key and a URL', () => {
    expect(() => outputPrefix(new Date(), '../../etc')).toThrow(/8 hex digits/);
    expect(() => outputPrefix(new Date(), 'abc')).toThrow(/8 hex digits/);
  });
});

describe('objectKey', () => {
  it('joins prefix and relative path with one slash', () => {
    expect(objectKey('outputs/20240309_070504_0a1b2c3d', 'src/app.py')).toBe('outputs/20240309_070504_0a1b2c3d/src/app.py');
  });

  it.each([
    ['absolute', '/etc/passwd'],
    ['parent at start', '../secret'],
    ['parent inside', 'a/../../secret'],
    ['parent at end', 'a/..'],
    ['dot segment', 'a/./b'],
    ['empty segment', 'a//b'],
    ['trailing slash', 'a/'],
    ['empty path', ''],
    ['NUL', 'a\0b'],
    ['backslash', '..\\secret'],
  ])('rejects %s (%j)', (_name, relPath) => {
    expect(() => objectKey('outputs/x', relPath)).toThrow(Error);
  });

  it('rejects an absolute or traversing prefix', () => {
    expect(() => objectKey('/outputs', 'a.txt')).toThrow(/prefix/);
    expect(() => objectKey('../outputs', 'a.txt')).toThrow(/prefix/);
  });

  it('keeps dots that are part of a name', () => {
    expect(objectKey('p', '..hidden/.env')).toBe('p/..hidden/.env');
    expect(keySegments('p/..hidden/.env')).toEqual(['p', '..hidden', '.env']);
  });
});

describe('encodeKey', () => {
  it('encodes each segment and keeps the separators', () => {
    expect(encodeKey('outputs/a b/r%sum\u00e9?.txt')).toBe('outputs/a%20b/r%25sum%C3%A9%3F.txt');
  });
});
