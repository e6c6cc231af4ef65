/**
 * `cca invoke --file PATH --dir DIR`: the files sent into the session (POST /sessions/{id}/files)
 * before the task, streamed from disk: files as multipart parts at their path relative to the
 * current folder, a folder as a tar.gz made here (links left out, as the service would skip them).
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { Readable } from 'node:stream';
import { create as createTar } from 'tar';
import { describeHttpError } from './api-report.js';
import { plural } from './table.js';
import { serviceUrl, sessionRoute, type Connection } from './connection.js';
import { readReply, type HttpReply } from './http-request.js';
import { EXIT, UsageError, type CliIo } from './io.js';

/** What to upload before invoking. */
export interface InputFiles {
  files: string[];
  dir: string | undefined;
}

/**
 * Uploads `inputs` into `sessionId`; prints what was written (stderr) and returns undefined, or
 * prints why not and returns the exit status.
 * @example const failed = await uploadInputs(io, conn, sessionId, { files: ['app.py'], dir: undefined }, cwd);
 */
export async function uploadInputs(
  io: CliIo,
  conn: Connection,
  sessionId: string,
  inputs: InputFiles,
  cwd: string,
): Promise<number | undefined> {
  const bodies: { type: string; body: () => Readable; what: string }[] = [];
  if (inputs.files.length > 0) {
    const boundary = `cca-${randomUUID()}`;
    bodies.push({
      type: `multipart/form-data; boundary=${boundary}`,
      body: () => Readable.from(multipart(inputs.files, cwd, boundary)),
      what: plural(inputs.files.length, 'file'),
    });
  }
  if (inputs.dir !== undefined) {
    const dir = path.resolve(cwd, inputs.dir);
    bodies.push({
      type: 'application/gzip',
      // portable: no owner names or other host details; the filter leaves links out.
      body: () =>
        createTar({ gzip: true, cwd: dir, portable: true, filter: (_p, stat) => !('isSymbolicLink' in stat && stat.isSymbolicLink()) }, [
          '.',
        ]) as unknown as Readable,
      what: inputs.dir,
    });
  }
  const url = serviceUrl(conn, sessionRoute(sessionId, '/files'));
  for (const { type, body, what } of bodies) {
    let reply: HttpReply;
    try {
      reply = await postStream(url, { 'x-api-key': conn.apiKey, 'content-type': type }, body());
    } catch (err) {
      io.stderr(`cca: could not upload ${what} to ${url.href}: ${(err as Error).message}\n`);
      return EXIT.failure;
    }
    if (reply.status !== 201) {
      io.stderr(`cca: uploading ${what}: ${describeHttpError(reply, url.href, new Date())}\n`);
      return EXIT.failure;
    }
    const answer = JSON.parse(reply.text) as { file_count: number; bytes: number; skipped_count: number };
    const skipped = answer.skipped_count > 0 ? `, ${answer.skipped_count} skipped (links or special files)` : '';
    io.stderr(
      `Uploaded ${what}: ${plural(answer.file_count, 'file')}, ${plural(answer.bytes, 'byte')} into session ${sessionId}${skipped}\n`,
    );
  }
  return undefined;
}

/** Where a --file lands: its path relative to the current folder, or its name when it is outside. */
function destination(file: string, cwd: string): string {
  const rel = path.relative(cwd, path.resolve(cwd, file));
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return path.basename(file);
  return rel.split(path.sep).join('/');
}

async function* multipart(files: string[], cwd: string, boundary: string): AsyncGenerator<Buffer> {
  for (const file of files) {
    const name = destination(file, cwd);
    if (/["\r\n]/.test(name)) throw new UsageError(`--file ${file}: a name with quotes or line breaks cannot be sent; rename it.`);
    yield Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    yield* createReadStream(path.resolve(cwd, file));
    yield Buffer.from('\r\n');
  }
  yield Buffer.from(`--${boundary}--\r\n`);
}

function postStream(url: URL, headers: Record<string, string>, body: Readable): Promise<HttpReply> {
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: 'POST', headers: { accept: 'application/json', ...headers } }, (res) =>
      readReply(res).then(resolve, reject),
    );
    req.on('error', reject);
    body.on('error', (err) => req.destroy(err));
    body.pipe(req);
  });
}
