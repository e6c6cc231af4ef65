/**
 * A multipart/form-data body (curl -F), streamed part by part into the staging folder by busboy.
 * A file part lands at its filename (which may hold folders: `-F "file=@app.py;filename=src/app.py"`),
 * or, when its field is not `file`/`files`, at the field name (`-F "src/app.py=@app.py"`).
 */
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { AppError, ValidationError } from '../errors/index.js';
import { inputMeter } from './byte-meters.js';
import { entryPath } from './entry-path.js';
import type { Staging } from './staging.js';
import { tooManyFiles } from './upload-limits.js';

/** Field names whose parts are placed by their filename. */
const FILE_FIELDS = new Set(['file', 'files', 'file[]', 'files[]', 'upload']);

/**
 * Reads a multipart body from `body` into `staging`, under the folder `base`.
 * @example await readMultipart(req.body, req.headers['content-type'], staging, { base: '' });
 */
export async function readMultipart(body: Readable, contentType: string, staging: Staging, opts: { base: string }): Promise<void> {
  let parser: busboy.Busboy;
  try {
    // preservePath: busboy would otherwise keep only the last segment of a filename.
    parser = busboy({
      headers: { 'content-type': contentType },
      preservePath: true,
      limits: { fields: 100, fieldSize: 64 * 1024, files: staging.limits.maxFiles + 1, parts: staging.limits.maxFiles + 101 },
    });
  } catch (err) {
    throw new ValidationError(`The multipart body cannot be read: ${(err as Error).message}. Send it as curl -F does.`, { field: 'body' });
  }
  let failure: unknown;
  let queue: Promise<void> = Promise.resolve();
  const fail = (err: unknown) => {
    failure ??= err;
    body.unpipe();
    body.destroy();
  };
  parser.on('file', (field, stream, info) => {
    queue = queue
      .then(async () => {
        if (failure !== undefined) throw failure;
        const raw = FILE_FIELDS.has(field) ? (info.filename ?? '') : field;
        await writePart(stream, await staging.openFile(entryPath(raw, opts.base)));
      })
      .catch((err: unknown) => {
        stream.resume();
        fail(err);
      });
  });
  parser.on('filesLimit', () => fail(tooManyFiles(staging.limits)));
  const finished = pipeline(body, inputMeter(staging.limits), parser as unknown as Writable);
  try {
    await finished;
    await queue;
  } catch (err) {
    if (failure !== undefined) throw failure;
    if (err instanceof AppError) throw err;
    throw new ValidationError(`The multipart body cannot be read: ${(err as Error).message}. Send it as curl -F does.`, { field: 'body' });
  }
  if (failure !== undefined) throw failure;
  if (staging.files.size === 0) {
    throw new ValidationError('The multipart body has no file part: send files with curl -F "file=@path" (or -F "dest/path=@file").', {
      field: 'body',
    });
  }
}

async function writePart(stream: Readable, sink: Writable): Promise<void> {
  await pipeline(stream, sink);
}
