/**
 * A zip body, unpacked entry by entry into the staging folder. A zip is read from its end (the
 * central directory), so the body is first written to the staging folder (counted and capped);
 * yauzl then reads each entry, and every decision (names, kinds, sizes, ratio) is ours.
 */
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { AppError, ValidationError } from '../errors/index.js';
import { ByteMeter, inputMeter } from './byte-meters.js';
import { entryPath, isTopFolder } from './entry-path.js';
import type { Staging } from './staging.js';
import { overRatio, RATIO_GRACE_BYTES } from './upload-limits.js';

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
/** "Version made by" host 3 is Unix: only then do the external attributes hold a mode. */
const UNIX_HOST = 3;

/**
 * Reads a zip archive from `body` into `staging`, under the folder `base`.
 * @example await extractZip(req.body, staging, { base: 'data' });
 */
export async function extractZip(body: Readable, staging: Staging, opts: { base: string }): Promise<void> {
  const archive = path.join(staging.dir, 'body.zip');
  await pipeline(body, inputMeter(staging.limits), createWriteStream(archive, { flags: 'wx', mode: 0o600 }));
  const zip = await openZip(archive);
  try {
    for (let entry = await nextEntry(zip); entry !== undefined; entry = await nextEntry(zip)) {
      await handleEntry(zip, entry, staging, opts.base);
    }
  } finally {
    zip.close();
  }
}

async function handleEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, staging: Staging, base: string): Promise<void> {
  // Names are decoded here (not by yauzl) so that the refusal is ours and says which entry and why.
  const raw = (entry.fileName as unknown as Buffer).toString('utf8');
  if (isTopFolder(raw)) return;
  const rel = entryPath(raw, base);
  const kind = kindOf(entry, raw);
  if (kind === 'dir') return staging.addDir(rel);
  if (kind !== 'file') return staging.skip(rel, kind);
  const sink = await staging.openFile(rel);
  const stream = await openEntry(zip, entry);
  // yauzl reads exactly `compressedSize` bytes of the body for the entry, so the ratio is real.
  const ratio = new ByteMeter((total) => {
    if (total > RATIO_GRACE_BYTES && total > entry.compressedSize * staging.limits.maxRatio) throw overRatio(staging.limits);
  });
  await pipeline(stream, ratio, sink).catch((err: unknown) => {
    // Our own refusals (413) go out as they are; a stream error of yauzl means a broken archive.
    throw err instanceof AppError ? err : badZip(err as Error);
  });
}

function kindOf(entry: yauzl.Entry, raw: string): 'file' | 'dir' | 'symbolic_link' | 'special_file' {
  const isUnix = entry.versionMadeBy >> 8 === UNIX_HOST;
  const mode = isUnix ? (entry.externalFileAttributes >>> 16) & S_IFMT : 0;
  if (mode === S_IFLNK) return 'symbolic_link';
  if (raw.endsWith('/') || mode === S_IFDIR) return 'dir';
  if (mode !== 0 && mode !== S_IFREG) return 'special_file';
  return 'file';
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings false: raw names, checked by entryPath; validateEntrySizes: yauzl also refuses
    // an entry whose data is longer or shorter than its header says.
    yauzl.open(file, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true }, (err, zip) => {
      if (err) reject(badZip(err));
      else resolve(zip);
    });
  });
}

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (entry: yauzl.Entry) => (cleanup(), resolve(entry));
    const onEnd = () => (cleanup(), resolve(undefined));
    const onError = (err: Error) => (cleanup(), reject(badZip(err)));
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => (err ? reject(badZip(err)) : resolve(stream)));
  });
}

function badZip(err: Error): ValidationError {
  return new ValidationError(
    `The body is not a readable zip archive (${err.message}); send a zip made by zip, or change the Content-Type. Nothing was written.`,
    { field: 'body' },
  );
}
