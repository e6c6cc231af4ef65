/**
 * The one rule for where an uploaded entry may land: a relative path inside the workspace. Every
 * name (multipart filename, form field, tar or zip entry, S3 key) goes through `entryPath` before
 * anything is written, so a hostile archive cannot name a file outside the workspace.
 */
import { ValidationError } from '../errors/index.js';

/** Longest path (bytes) and path segment an entry may have: Linux's PATH_MAX and NAME_MAX. */
const MAX_PATH_BYTES = 4096;
const MAX_SEGMENT_BYTES = 255;

/** An entry that names a place outside the workspace, or no place: 400 naming the entry and why. */
export class UnsafeEntryError extends ValidationError {
  constructor(entry: string, why: string) {
    // JSON.stringify keeps hostile names (newlines, quotes, control characters) on one readable line.
    super(`Refused entry ${JSON.stringify(entry)}: ${why}. Nothing was written.`, { entry, reason: why });
  }
}

/**
 * The workspace-relative path of an entry named `raw`, under `base` (a folder given with `?path=`);
 * `.` segments, leading `./` and repeated or trailing slashes are dropped. Throws UnsafeEntryError
 * for a NUL, an absolute or drive path, a backslash, a `..` segment, or a name too long.
 * @example entryPath('./src//app.py', 'proj') // 'proj/src/app.py'
 * @example entryPath('../etc/passwd') // throws UnsafeEntryError
 */
export function entryPath(raw: string, base = ''): string {
  if (raw.includes('\0')) throw new UnsafeEntryError(raw, 'the name contains a NUL byte');
  if (raw.startsWith('/')) throw new UnsafeEntryError(raw, 'the path is absolute');
  if (/^[A-Za-z]:/.test(raw)) throw new UnsafeEntryError(raw, 'the path starts with a drive letter');
  // A Windows separator would be a plain character here: "..\\x" must not mean "../x" anywhere later.
  if (raw.includes('\\')) throw new UnsafeEntryError(raw, 'the path contains a backslash; use "/" between folders');
  const segments = [...baseSegments(base), ...raw.split('/')].filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new UnsafeEntryError(raw, 'the path has a ".." segment');
  if (segments.length === 0) throw new UnsafeEntryError(raw, 'the name is empty');
  const joined = segments.join('/');
  if (Buffer.byteLength(joined) > MAX_PATH_BYTES) throw new UnsafeEntryError(raw, `the path is longer than ${MAX_PATH_BYTES} bytes`);
  if (segments.some((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES)) {
    throw new UnsafeEntryError(raw, `a name in the path is longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  return joined;
}

/**
 * The segments of the `?path=` folder an upload goes under, checked by the same rules ('' for none).
 * @example uploadBase('data/') // 'data'
 */
export function uploadBase(raw: string | undefined): string {
  if (raw === undefined || raw.replace(/[/.]/g, '') === '') return '';
  try {
    return entryPath(raw);
  } catch (err) {
    if (!(err instanceof UnsafeEntryError)) throw err;
    throw new ValidationError(`path ${JSON.stringify(raw)} is not a folder inside the workspace: ${String(err.details.reason)}.`, {
      field: 'path',
    });
  }
}

/**
 * True for the archive's own top folder (`./`, `.`): nothing to create, and no name to refuse.
 * @example isTopFolder('./') // true
 */
export function isTopFolder(raw: string): boolean {
  return raw !== '' && raw.split('/').every((s) => s === '' || s === '.');
}

function baseSegments(base: string): string[] {
  return base === '' ? [] : base.split('/');
}
