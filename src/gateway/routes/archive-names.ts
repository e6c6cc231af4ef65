/** Names inside and of a session archive: whatever a run named its files, nothing escapes the zip or the header. */

/** Most UTF-8 bytes of an entry name: a zip holds 65,535; the rest is room for a ` (n)` suffix. */
export const MAX_ENTRY_NAME_BYTES = 0xffff - 32;

/**
 * A workspace path as a zip entry name: `/`-separated, relative, no `.` or `..` segment, no
 * backslash (zip readers take it for a separator), no empty segment, no drive letter (`c:x` is
 * `c_x`: yazl, like Windows, takes `c:` for an absolute path), at most MAX_ENTRY_NAME_BYTES.
 * Every name it returns is one yazl accepts (its validateMetadataPath and name length checks).
 * @example archiveEntryName('a\\..\\b') // 'a_.._b' is one segment, kept; archiveEntryName('../x') // '_/x'
 */
export function archiveEntryName(fileName: string): string {
  const name = safeSegments(fileName);
  return Buffer.byteLength(name) <= MAX_ENTRY_NAME_BYTES ? name : safeSegments(truncate(name, MAX_ENTRY_NAME_BYTES));
}

function safeSegments(fileName: string): string {
  const segments = fileName
    .replace(/\\/g, '_')
    .split('/')
    .filter((s) => s !== '')
    .map((s) => (s === '.' || s === '..' ? '_' : s));
  if (segments.length === 0) return '_';
  segments[0] = segments[0]!.replace(/^([a-zA-Z]):/, '$1_');
  return segments.join('/');
}

/** The longest start of `text` within `max` UTF-8 bytes, cut between characters. */
function truncate(text: string, max: number): string {
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    bytes += Buffer.byteLength(ch);
    if (bytes > max) break;
    end += ch.length;
  }
  return text.slice(0, end);
}

/**
 * The entry name of each file name, all different, so every stored file is in the zip: a name
 * kept as it was has it; a rewritten name that meets another (`a\b.txt` and `a_b.txt`) gets ` (2)`,
 * ` (3)`... before its extension.
 * @example uniqueEntryNames(['a\\b.txt', 'a_b.txt']) // Map { 'a\\b.txt' => 'a_b (2).txt', 'a_b.txt' => 'a_b.txt' }
 */
export function uniqueEntryNames(fileNames: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  // First the names the mapping kept: they are already different, and a file keeps its own name.
  for (const fileName of fileNames) {
    if (archiveEntryName(fileName) !== fileName || taken.has(fileName)) continue;
    names.set(fileName, fileName);
    taken.add(fileName);
  }
  for (const fileName of fileNames) {
    if (names.has(fileName)) continue;
    const base = archiveEntryName(fileName);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = withSuffix(base, ` (${n})`);
    names.set(fileName, name);
    taken.add(name);
  }
  return names;
}

/** `dir/name (2).ext`: the suffix before the last segment's extension (a leading dot is no extension). */
function withSuffix(name: string, suffix: string): string {
  const slash = name.lastIndexOf('/');
  const dot = name.lastIndexOf('.');
  return dot > slash + 1 ? `${name.slice(0, dot)}${suffix}${name.slice(dot)}` : `${name}${suffix}`;
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
