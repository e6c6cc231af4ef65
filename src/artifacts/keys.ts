import { posix } from 'node:path';

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

/** prefix + "/" + relative POSIX path; rejects absolute paths, "..", empty segments and NUL with a thrown Error. */
export function objectKey(prefix: string, relPath: string): string {
  if (keySegments(prefix) === undefined) {
    throw new Error(`Invalid storage prefix ${JSON.stringify(prefix)}: it must be a relative path without "." or ".." segments`);
  }
  if (keySegments(relPath) === undefined) {
    throw new Error(
      `Refusing to store ${JSON.stringify(relPath)}: the path must be relative, without "..", ".", empty segments, backslashes or NUL`,
    );
  }
  return `${prefix}/${relPath}`;
}

/** A key as a URL path: each segment percent-encoded, "/" kept as the separator. */
export function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/** The last segment of a key, used as the download's file name. */
export function keyBaseName(key: string): string {
  return posix.basename(key);
}
