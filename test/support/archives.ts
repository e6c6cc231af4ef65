/**
 * Archives built byte by byte for tests, hostile ones included: tar entries of any type and name
 * (node-tar's Header encodes each header), gzip of them, and zips whose names are patched after
 * yazl wrote them (yazl refuses "../" itself).
 */
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import yauzl from 'yauzl';
import yazl from 'yazl';

/** One tar entry: a file by default; `body` is its content. */
export interface TarEntry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'FIFO';
  body?: Buffer | string;
  linkpath?: string;
  /** Size written in the header (default: the body's). */
  size?: number;
}

/** The header block of an entry. */
export function tarHeader(e: TarEntry): Buffer {
  const body = Buffer.from(e.body ?? '');
  const block = Buffer.alloc(512);
  new Header({
    path: e.path,
    type: e.type ?? 'File',
    size: e.size ?? (e.type === undefined || e.type === 'File' ? body.length : 0),
    mode: e.type === 'Directory' ? 0o755 : 0o644,
    mtime: new Date(0),
    linkpath: e.linkpath ?? '',
    uid: 0,
    gid: 0,
  }).encode(block, 0);
  return block;
}

/** A whole tar archive of `entries` (content padded to 512 bytes, two zero blocks at the end). */
export function tarOf(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    parts.push(tarHeader(e), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** tar.gz of `entries`. */
export function tarGzOf(entries: TarEntry[]): Buffer {
  return gzipSync(tarOf(entries));
}

/**
 * A gzip bomb: a tar.gz whose one file (`zeros.bin`) holds `gib` GiB of zeros, built from
 * concatenated gzip members (one per MiB) so that it costs the test a few milliseconds, not a gigabyte.
 */
export function gzipBomb(gib = 1): Buffer {
  const mib = gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
  const parts = [gzipSync(tarHeader({ path: 'zeros.bin', size: gib * 1024 * 1024 * 1024 }))];
  for (let i = 0; i < gib * 1024; i++) parts.push(mib);
  return Buffer.concat(parts);
}

/** One zip entry: a file (or, with `mode`, a link or folder); `name` may be hostile. */
export interface ZipEntry {
  name: string;
  body?: Buffer | string;
  mode?: number;
}

/** A zip of `entries`; names yazl would refuse are written as same-length placeholders, then patched. */
export async function zipOf(entries: ZipEntry[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const patches: [Buffer, Buffer][] = [];
  entries.forEach((e, i) => {
    const safe = placeholder(e.name, i);
    if (safe !== e.name) patches.push([Buffer.from(safe), Buffer.from(e.name)]);
    if (e.name.endsWith('/')) zip.addEmptyDirectory(safe, { mtime: new Date(0) });
    else zip.addBuffer(Buffer.from(e.body ?? ''), safe, { mtime: new Date(0), ...(e.mode === undefined ? {} : { mode: e.mode }) });
  });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  let out: Buffer = Buffer.concat(chunks);
  for (const [from, to] of patches) out = replaceAll(out, from, to);
  return out;
}

function placeholder(name: string, i: number): string {
  if (!name.startsWith('/') && !name.split('/').includes('..')) return name;
  // Same byte length, unique, and accepted by yazl.
  const tag = `q${i}`.padEnd(Buffer.byteLength(name), 'q');
  return tag.slice(0, Buffer.byteLength(name));
}

function replaceAll(buf: Buffer, from: Buffer, to: Buffer): Buffer {
  let at = buf.indexOf(from);
  while (at !== -1) {
    to.copy(buf, at);
    at = buf.indexOf(from, at + to.length);
  }
  return buf;
}

/** A multipart/form-data body of file parts: [field, filename, content]. */
export function multipartOf(
  parts: [string, string, string | Buffer][],
  boundary = 'cca-test-boundary',
): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const [field, filename, content] of parts) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      Buffer.from(content),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * Every file entry of a zip as text, by entry name (what a person gets from an archive download).
 * @example expect(await unzipText(await res.arrayBuffer())).toEqual({ 'hello.py': 'print(1)\n' });
 */
export function unzipText(body: ArrayBuffer | Buffer): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(Buffer.isBuffer(body) ? body : Buffer.from(body), { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const out: Record<string, string> = {};
      zip.on('entry', (entry: yauzl.Entry) =>
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            out[entry.fileName] = Buffer.concat(chunks).toString();
            zip.readEntry();
          });
        }),
      );
      zip.on('error', reject);
      zip.on('end', () => resolve(out));
      zip.readEntry();
    });
  });
}
