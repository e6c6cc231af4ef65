import { posix } from 'node:path';
import { nameFromBytes } from '../workspace/index.js';

/** Storage key prefix for one invocation: `outputs/<YYYYMMDD_HHMMSS>_<first 8 hex chars of the invocation id with dashes removed>` in UTC. Sortable by time and unique per invocation (the original's second-resolution prefix collided). */
export function outputPrefix(startedAt: Date, invocationId: string): string {
  // toISOString is always UTC, so the prefix sorts the same on every host.
  const stamp = startedAt.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '_');
  const id = invocationId.replace(/-/g, '').slice(0, 8).toLowerCase();
  // The id ends up in a storage key and a URL: only hex keeps it safe and the prefix unique.
  if (!/^[0-9a-f]{8}$/.test(id)) {
    throw new Error(`Invocation id must start with 8 hex digits (a UUID), got ${JSON.stringify(invocationId)}`);
  }
  return `outputs/${stamp}_${id}`;
}

/** The segments of a safe relative storage key, or undefined if it could escape its root or is ambiguous. */
export function keySegments(key: string): string[] | undefined {
  // Backslashes are refused too: they are separators on Windows and in some URL parsers,
  // and a key that the download route would refuse is better rejected at upload time.
  if (key === '' || key.includes('\0') || key.includes('\\')) return undefined;
  const segments = key.split('/');
  // An empty first segment means an absolute path; empty inner segments mean "a//b".
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return undefined;
  return segments;
}

/** Most bytes a storage key may have: S3's limit for an object key. */
export const MAX_KEY_BYTES = 1024;
/** Most bytes one segment of a key may have: a file name on the local store's disk (NAME_MAX). */
export const MAX_SEGMENT_BYTES = 255;

/** A workspace path that cannot become a storage key; `reason` is what the caller reports. */
export class StorageKeyError extends Error {
  override name = 'StorageKeyError';
  constructor(
    readonly reason: 'name_too_long' | 'invalid_path',
    message: string,
  ) {
    super(message);
  }
}

/**
 * prefix + "/" + the relative path with its unsafe bytes percent-encoded (see `encodeKeyPath`).
 * Throws StorageKeyError for absolute paths, "..", "." or empty segments, NUL, and keys over
 * `maxKeyBytes` (or a segment over 255 bytes).
 * @example objectKey('outputs/20250101_120000_3f2a9c1e', 'back\\slash.txt') // 'outputs/20250101_120000_3f2a9c1e/back%5Cslash.txt'
 */
export function objectKey(prefix: string, relPath: string, maxKeyBytes = MAX_KEY_BYTES): string {
  if (keySegments(prefix) === undefined) {
    throw new Error(`Invalid storage prefix ${JSON.stringify(prefix)}: it must be a relative path without "." or ".." segments`);
  }
  const segments = relPath.split('/');
  if (relPath.includes('\0') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new StorageKeyError(
      'invalid_path',
      `Refusing to store ${JSON.stringify(relPath)}: the path must be relative, without "..", "." or empty segments or NUL`,
    );
  }
  const encoded = segments.map(encodeKeySegment);
  const longest = Math.max(...encoded.map((s) => Buffer.byteLength(s)));
  const key = `${prefix}/${encoded.join('/')}`;
  const bytes = Buffer.byteLength(key);
  if (longest > MAX_SEGMENT_BYTES || bytes > maxKeyBytes) {
    throw new StorageKeyError(
      'name_too_long',
      longest > MAX_SEGMENT_BYTES
        ? `its storage key would have a name of ${longest} bytes (percent-encoding included), over the ${MAX_SEGMENT_BYTES} a stored name may have`
        : `its storage key would be ${bytes} bytes long (percent-encoding included), over the ${maxKeyBytes} a key may have`,
    );
  }
  return key;
}

/**
 * A workspace path (as `nameFromBytes` reads it) as the path part of a storage key: "%", "\\",
 * control characters (C0, DEL, C1) and bytes that are not UTF-8 become %XX; everything else stays
 * as it is, so ordinary names keep their keys. `decodeKeyPath` reverses it exactly.
 */
export function encodeKeyPath(relPath: string): string {
  return relPath.split('/').map(encodeKeySegment).join('/');
}

/** The workspace path (lone surrogates for bytes that are not UTF-8) that `encodeKeyPath` made `keyPath` from; undefined if it is not one. */
export function decodeKeyPath(keyPath: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < keyPath.length; i++) {
    const ch = keyPath[i] as string;
    if (ch === '%') {
      const hex = keyPath.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      const unit = keyPath.charCodeAt(i);
      // A pair is one character: take both halves at once.
      const width = unit >= 0xd800 && unit <= 0xdbff && i + 1 < keyPath.length ? 2 : 1;
      bytes.push(...Buffer.from(keyPath.slice(i, i + width), 'utf8'));
      i += width - 1;
    }
  }
  return nameFromBytes(Buffer.from(bytes));
}

function encodeKeySegment(segment: string): string {
  let out = '';
  for (const ch of segment) {
    const code = ch.codePointAt(0) as number;
    if (code >= 0xdc80 && code <= 0xdcff && ch.length === 1) {
      // A byte that is not UTF-8, carried as a lone surrogate (see workspace/names.ts).
      out += `%${(code - 0xdc00).toString(16).toUpperCase()}`;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      throw new StorageKeyError(
        'invalid_path',
        `Refusing to store ${JSON.stringify(segment)}: it holds a lone surrogate that is no file name byte`,
      );
    } else if (ch === '%' || ch === '\\' || code < 0x20 || code === 0x7f || (code >= 0x80 && code <= 0x9f)) {
      out += [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    } else {
      out += ch;
    }
  }
  return out;
}

/** A key as a URL path: each segment percent-encoded, "/" kept as the separator. */
export function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/** The last segment of a key, used as the download's file name. */
export function keyBaseName(key: string): string {
  return posix.basename(key);
}
