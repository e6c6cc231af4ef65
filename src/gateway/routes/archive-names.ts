/** Names inside and of a session archive: whatever a run named its files, nothing escapes the zip or the header. */

/**
 * A workspace path as a zip entry name: `/`-separated, relative, no `.` or `..` segment, no
 * backslash (zip readers take it for a separator), no empty segment.
 * @example archiveEntryName('a\\..\\b') // 'a_.._b' is one segment, kept; archiveEntryName('../x') // '_/x'
 */
export function archiveEntryName(fileName: string): string {
  const segments = fileName
    .replace(/\\/g, '_')
    .split('/')
    .filter((s) => s !== '')
    .map((s) => (s === '.' || s === '..' ? '_' : s));
  return segments.length === 0 ? '_' : segments.join('/');
}

/**
 * `Content-Disposition: attachment` for `name`: an ASCII `filename` (quotes, backslashes and
 * anything outside printable ASCII replaced by `_`) for old clients and the exact name as RFC 5987
 * `filename*`.
 * @example contentDisposition('s1.zip') // `attachment; filename="s1.zip"; filename*=UTF-8''s1.zip`
 */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
