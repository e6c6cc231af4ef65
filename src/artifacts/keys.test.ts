import { describe, expect, it } from 'vitest';
import { bytesOfName, nameFromBytes } from '../workspace/index.js';
import { decodeKeyPath, encodeKey, encodeKeyPath, keySegments, objectKey, outputPrefix, StorageKeyError } from './keys.js';

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
  ])('rejects %s (%j)', (_name, relPath) => {
    expect(() => objectKey('outputs/x', relPath)).toThrow(StorageKeyError);
  });

  it('percent-encodes what a key must not hold, and nothing an ordinary name has', () => {
    expect(objectKey('p', '..\\secret')).toBe('p/..%5Csecret');
    expect(objectKey('p', 'a\nb\tc\u007f\u0085.txt')).toBe('p/a%0Ab%09c%7F%C2%85.txt');
    expect(objectKey('p', '50%.txt')).toBe('p/50%25.txt');
    expect(objectKey('p', '%2e%2e/x')).toBe('p/%252e%252e/x');
    expect(objectKey('p', 'r\u00e9sum\u00e9 #1?.txt')).toBe('p/r\u00e9sum\u00e9 #1?.txt');
    expect(objectKey('p', '-rf/\u{1f600}.txt')).toBe('p/-rf/\u{1f600}.txt');
    // Every key it makes passes the checks of the stores and the download route.
    expect(keySegments(objectKey('p', 'a\\b/\u0000x'.replace('\u0000', '')))).toBeDefined();
  });

  it('encodes bytes that are not UTF-8 (lone surrogates from nameFromBytes) and decodes them back exactly', () => {
    const raw = Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x2e, 0x74]);
    const name = nameFromBytes(raw);
    expect(objectKey('p', `dir/${name}`)).toBe('p/dir/bad%FF%FE.t');
    const back = decodeKeyPath(encodeKeyPath(`dir/${name}`));
    expect(back).toBe(`dir/${name}`);
    expect(bytesOfName(back as string).equals(Buffer.concat([Buffer.from('dir/'), raw]))).toBe(true);
  });

  it('round-trips every hostile name through encodeKeyPath and decodeKeyPath', () => {
    const names = ['back\\slash', 'new\nline', '100%', 'q?#', '-rf', '%2e%2e', '\u00e9', 'e\u0301', '\u{10080}x', ' .', '\u202etxt.exe'];
    for (const n of names) expect(decodeKeyPath(encodeKeyPath(n))).toBe(n);
    // NFC and NFD spellings of one word stay two keys.
    expect(encodeKeyPath('caf\u00e9')).not.toBe(encodeKeyPath('cafe\u0301'));
  });

  it('says a key past 1024 bytes or a segment past 255 bytes is too long', () => {
    expect(() => objectKey('p', 'a'.repeat(255))).not.toThrow();
    expect(() => objectKey('p', '\\'.repeat(86))).toThrow(expect.objectContaining({ reason: 'name_too_long' }));
    expect(() => objectKey('p', Array(5).fill('d'.repeat(250)).join('/'))).toThrow(expect.objectContaining({ reason: 'name_too_long' }));
    expect(() => objectKey('p', 'a/b', 4)).toThrow(/over the 4 a key may have/);
  });

  it('leaves a key part that is not one it made undecoded', () => {
    expect(decodeKeyPath('100%')).toBeUndefined();
    expect(decodeKeyPath('a%zz')).toBeUndefined();
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
