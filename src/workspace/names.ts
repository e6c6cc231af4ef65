/**
 * File names as the file system has them: bytes, not always UTF-8. A name is carried as a string
 * in which every byte that is not part of valid UTF-8 stands as one lone surrogate U+DC80..U+DCFF
 * (Python's "surrogateescape"): valid names are their plain text, and every name, however hostile,
 * maps back to its exact bytes. Such strings are never written out as they are: SQLite and UTF-8
 * encoders would replace the surrogates; use `bytesOfName`, `displayName` or a storage key.
 */
import { isUtf8 } from 'node:buffer';
import path from 'node:path';

const ESCAPE_BASE = 0xdc00;
// A surrogate that is not half of a pair (String.prototype.isWellFormed is ES2024, past our lib).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** A name (or a path) read as bytes, as a string that `bytesOfName` turns back into the same bytes. */
export function nameFromBytes(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const length = validSequenceAt(bytes, i);
    if (length === 0) {
      out += String.fromCharCode(ESCAPE_BASE + (bytes[i] as number));
      i += 1;
    } else {
      out += bytes.toString('utf8', i, i + length);
      i += length;
    }
  }
  return out;
}

/** The bytes of a name made by `nameFromBytes` (or of any well-formed string: its UTF-8). */
export function bytesOfName(name: string): Buffer {
  if (!hasEscapes(name)) return Buffer.from(name, 'utf8');
  const parts: Buffer[] = [];
  let run = '';
  for (let i = 0; i < name.length; i++) {
    const unit = name.charCodeAt(i);
    if (isEscapedByte(name, i)) {
      parts.push(Buffer.from(run, 'utf8'), Buffer.of(unit - ESCAPE_BASE));
      run = '';
    } else {
      run += name[i];
    }
  }
  parts.push(Buffer.from(run, 'utf8'));
  return Buffer.concat(parts);
}

/** True when the name holds bytes that are not UTF-8 (escaped as lone surrogates). */
export function hasEscapes(name: string): boolean {
  return LONE_SURROGATE.test(name);
}

/** The name as a person reads it and JSON carries it: bytes that are not UTF-8 become U+FFFD. */
export function displayName(name: string): string {
  return name.replace(LONE_SURROGATES, '\uFFFD');
}

/** True at index `i` when the code unit there stands for one raw byte (a lone U+DC80..U+DCFF). */
export function isEscapedByte(name: string, i: number): boolean {
  const unit = name.charCodeAt(i);
  if (unit < 0xdc80 || unit > 0xdcff) return false;
  // The low half of a valid pair is a character, not an escape.
  const before = i > 0 ? name.charCodeAt(i - 1) : 0;
  return !(before >= 0xd800 && before <= 0xdbff);
}

/** `root` joined with a workspace-relative path, as a Buffer when the path has bytes a string cannot carry. */
export function fsPath(root: string, rel: string): string | Buffer {
  if (!hasEscapes(rel)) return rel === '' ? root : path.join(root, rel);
  return Buffer.concat([Buffer.from(root.endsWith('/') ? root : `${root}/`, 'utf8'), bytesOfName(rel)]);
}

// Length of the well-formed UTF-8 sequence starting at i, or 0 (same rules as Buffer.isUtf8:
// no overlong forms, no surrogates, nothing past U+10FFFF).
function validSequenceAt(b: Buffer, i: number): number {
  const first = b[i] as number;
  if (first < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const v = b[i + k];
    return v !== undefined && v >= lo && v <= hi;
  };
  if (first >= 0xc2 && first <= 0xdf) return cont(1) ? 2 : 0;
  if (first === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (first === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (first >= 0xe1 && first <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (first === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (first >= 0xf1 && first <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (first === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}
