/**
 * A tar or tar.gz body, unpacked entry by entry into the staging folder. node-tar only parses:
 * every decision (names, entry kinds, sizes, ratio) is ours, made as the bytes stream.
 */
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { ValidationError } from '../errors/index.js';
import { inputMeter, ratioMeter } from './byte-meters.js';
import { entryPath, isTopFolder } from './entry-path.js';
import type { Staging } from './staging.js';

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const SPECIAL_TYPES = new Set(['CharacterDevice', 'BlockDevice', 'FIFO']);

/**
 * Reads a tar (gzip: tar.gz) archive from `body` into `staging`, under the folder `base`.
 * Links and special files are skipped with their reason; anything else wrong throws (400/413).
 * @example await extractTar(req.body, staging, { gzip: true, base: '' });
 */
export async function extractTar(body: Readable, staging: Staging, opts: { gzip: boolean; base: string }): Promise<void> {
  const input = inputMeter(staging.limits);
  let failure: unknown;
  let queue: Promise<void> = Promise.resolve();
  const parser = new Parser({
    strict: true,
    // Past this ratio node-tar would refuse on its own; ours (ratioMeter) stops sooner.
    maxDecompressionRatio: staging.limits.maxRatio,
    onReadEntry: (entry: ReadEntry) => {
      // Entries are handled one after another; the parser holds the next until this one is read.
      queue = queue
        .then(() => handleEntry(entry, staging, opts.base))
        .catch((err: unknown) => {
          failure ??= err;
          entry.resume();
          parser.abort(err as Error);
        });
    },
  });
  const stages: (NodeJS.ReadableStream | NodeJS.WritableStream)[] = [body, input];
  if (opts.gzip) stages.push(createGunzip(), ratioMeter(input, staging.limits));
  try {
    await pipeline([...stages, parser] as unknown as [Readable, Writable]);
  } catch (err) {
    throw failure ?? asBadArchive(err);
  }
  await queue;
  if (failure !== undefined) throw failure;
}

async function handleEntry(entry: ReadEntry, staging: Staging, base: string): Promise<void> {
  const raw = String(entry.path);
  // `tar czf - -C dir .` starts with "./": the folder the upload goes into.
  if (String(entry.type) === 'Directory' && isTopFolder(raw)) return void entry.resume();
  const rel = entryPath(raw, base);
  const type = String(entry.type);
  if (FILE_TYPES.has(type)) {
    const sink = await staging.openFile(rel);
    await pipelineEntry(entry, sink);
    return;
  }
  if (type === 'Directory') staging.addDir(rel);
  else if (type === 'SymbolicLink') staging.skip(rel, 'symbolic_link');
  else if (type === 'Link') staging.skip(rel, 'hard_link');
  else if (SPECIAL_TYPES.has(type)) staging.skip(rel, 'special_file');
  else staging.skip(rel, 'unsupported_entry');
  entry.resume();
}

async function pipelineEntry(entry: ReadEntry, sink: Writable): Promise<void> {
  await pipeline(entry as unknown as Readable, sink);
}

/** A parse or gunzip failure: the body is not the archive its Content-Type says (400). */
function asBadArchive(err: unknown): unknown {
  if (err instanceof ValidationError || (err as { status?: number }).status !== undefined) return err;
  const code = (err as { code?: string }).code ?? '';
  if (code.startsWith('TAR_') || code.startsWith('Z_') || code === 'ERR_STREAM_PREMATURE_CLOSE') {
    return new ValidationError(
      `The body is not a readable tar archive (${(err as Error).message}); send a tar or tar.gz made by tar, or change the Content-Type. Nothing was written.`,
      { field: 'body' },
    );
  }
  return err;
}
