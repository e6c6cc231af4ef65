/** Names inside and of a session archive: whatever a run named its files, nothing escapes the zip or the header. */

/** Most UTF-8 bytes of an entry name: a zip holds 65,535; the rest is room for a ` (n)` suffix. */
export const MAX_ENTRY_NAME_BYTES = 0xffff - 32;

/**
 * A workspace path as a zip entry name: `/`-separated, relative, no `.` or `..` segment, no
 * backslash (zip readers take it for a separator), no empty segment, no `:` (`c:x` is `c_x`:
 * yazl, like Windows, takes `c:` for an absolute path, and Windows takes `a:b` for a stream), no
 * control character, no segment ending in a dot or space (Windows drops them) and no reserved
 * Windows device name (`CON`, `nul.txt`, `COM1`... get a leading `_`), at most MAX_ENTRY_NAME_BYTES.
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
    .map(safeSegment);
  if (segments.length === 0) return '_';
  return segments.join('/');
}

/** A Windows device name, with or without an extension (`nul.txt` opens the device too). */
const RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\.|$)/i;

function safeSegment(segment: string): string {
  if (segment === '.' || segment === '..') return '_';
  // Control characters: Windows refuses them in names, and terminals print them raw.
  const s = segment.replace(/[\x00-\x1f\x7f:]/g, '_').replace(/[. ]+$/, (tail) => '_'.repeat(tail.length));
  return RESERVED.test(s) ? `_${s}` : s;
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
 * The entry name of each file name, all different even where unzipped (compared NFC-normalised and
 * lowercased: case-insensitive and normalising file systems), and never a file where another entry
 * needs a folder: a name kept as it was has it when nothing else has taken it; any other name that
 * meets a file or a folder gets ` (2)`, ` (3)`... before its extension, and a folder of it that
 * meets a file gets the number on that folder (`out` and `out/x.txt`: `out` and `out (2)/x.txt`).
 * @example uniqueEntryNames(['a\\b.txt', 'a_b.txt']) // Map { 'a\\b.txt' => 'a_b (2).txt', 'a_b.txt' => 'a_b.txt' }
 */
export function uniqueEntryNames(fileNames: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  // The names taken, as a tree of folded segments: linear in a name's length, however deep.
  const root: Node = { file: false, kids: new Map() };
  const take = (fileName: string, segments: string[]) => {
    let node = root;
    for (const seg of segments) {
      const key = fold(seg);
      let kid = node.kids.get(key);
      if (kid === undefined) node.kids.set(key, (kid = { file: false, kids: new Map() }));
      node = kid;
    }
    node.file = true;
    names.set(fileName, segments.join('/'));
  };
  /** Free for a file: neither a file nor a folder yet. */
  const free = (parent: Node | undefined, seg: string) => {
    const node = parent?.kids.get(fold(seg));
    return node === undefined || (!node.file && node.kids.size === 0);
  };
  // First the names the mapping kept, when they clash with nothing kept before: a file keeps its own name.
  for (const fileName of fileNames) {
    if (names.has(fileName) || archiveEntryName(fileName) !== fileName) continue;
    const segments = fileName.split('/');
    let parent: Node | undefined = root;
    for (const seg of segments.slice(0, -1)) {
      parent = parent?.kids.get(fold(seg));
      if (parent?.file) break;
    }
    if (parent?.file || !free(parent, segments.at(-1)!)) continue;
    take(fileName, segments);
  }
  for (const fileName of fileNames) {
    if (names.has(fileName)) continue;
    const segments = archiveEntryName(fileName).split('/');
    let parent: Node | undefined = root;
    // Each folder that is a file already takes the first number that is not a file (maybe a folder made so before).
    for (let i = 0; i < segments.length - 1; i++) {
      const seg = segments[i]!;
      for (let n = 2; parent?.kids.get(fold(segments[i]!))?.file; n++) segments[i] = `${seg} (${n})`;
      parent = parent?.kids.get(fold(segments[i]!));
    }
    const last = segments.length - 1;
    const base = segments[last]!;
    for (let n = 2; !free(parent, segments[last]!); n++) segments[last] = withSuffix(base, ` (${n})`);
    take(fileName, segments);
  }
  return names;
}

interface Node {
  file: boolean;
  kids: Map<string, Node>;
}

/** How two names compare once unzipped on a case-insensitive, normalising file system. */
function fold(name: string): string {
  return name.normalize('NFC').toLowerCase();
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
