/**
 * Files into a session over real HTTP, then a real Claude Code run (scripted model) that edits
 * one of them: multipart and tar.gz uploads, a new session created by its upload, 409 while a run
 * is queued or running, 404 for another key's session, 413 over a key's cap, and hostile archives
 * answered 400 with the service still up.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartOf, tarGzOf } from '../support/archives.js';
import { scenarios, text, toolUse } from '../support/model-server.js';
import { startTestService, type TestService } from '../support/service.js';

const LIMITS = { ratePerS: 10_000, burst: 10_000, dailyQuota: 1_000_000 };

const responder = scenarios({
  edit: [
    {
      content: [toolUse('Bash', { command: "sed -i 's/hello/goodbye/' src/app.py && cat src/app.py data/notes.md", description: 'edit' })],
    },
    { content: [text('Edited.')] },
  ],
  hang: [{ hang: true }],
  cli: [
    { content: [toolUse('Bash', { command: 'cat main.py proj/lib/util.py > seen.txt', description: 'read' })] },
    { content: [text('Read them.')] },
  ],
});
const CCA = path.resolve(import.meta.dirname, '../../bin/cca');

async function send(svc: TestService, key: string, route: string, body: Buffer | string, contentType: string) {
  const res = await fetch(`${svc.url}${route}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': contentType }, body });
  return { status: res.status, body: (await res.json()) as any };
}

describe('uploads into a session', () => {
  let svc: TestService;
  let dataDir: string;
  let key: string;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-uploads-'));
    svc = await startTestService({ mode: 'serve', responder, dataDir });
    key = svc.runtime.keys.create('uploader', LIMITS).key;
  });
  afterAll(async () => {
    await svc?.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('creates the session with the files (multipart and tar.gz), and the next run edits them', async () => {
    const session = 'upload-e2e-1';
    const form = multipartOf([['file', 'src/app.py', 'print("hello")\n']]);
    const first = await send(svc, key, `/sessions/${session}/files`, form.body, form.contentType);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ session_id: session, files: [{ path: 'src/app.py', size: 15 }], file_count: 1 });

    const archive = tarGzOf([
      { path: 'notes.md', body: '# notes\n' },
      { path: 'escape', type: 'SymbolicLink', linkpath: '/etc/passwd' },
    ]);
    const second = await send(svc, key, `/sessions/${session}/files?path=data/`, archive, 'application/gzip');
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({
      files: [{ path: 'data/notes.md', size: 8 }],
      skipped: [{ path: 'data/escape', reason: 'symbolic_link' }],
    });
    // The upload made the session: the key lists it.
    const listed = await fetch(`${svc.url}/sessions/${session}`, { headers: { 'x-api-key': key } });
    expect(listed.status).toBe(200);

    const res = await fetch(`${svc.url}/invoke`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: '[[scenario:edit]] change the greeting', session_id: session }),
    });
    const out = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(out.output.success).toBe(true);
    // Changed by the run, so stored as its output; the untouched upload is not.
    const stored = out.output.metadata.uploaded_files.map((f: { file_name: string }) => f.file_name);
    expect(stored).toEqual(['src/app.py']);
    const workspace = path.join(dataDir, 'sessions', session, 'workspace');
    expect(await fs.readFile(path.join(workspace, 'src/app.py'), 'utf8')).toBe('print("goodbye")\n');
    const tool = svc.model.requests.flatMap((r) => JSON.stringify(r.body)).join('\n');
    expect(tool).toContain('# notes');
  });

  it('answers 409 while a run is queued or running, 404 for another key, 400 for a hostile archive', async () => {
    const session = 'upload-e2e-2';
    const form = multipartOf([['file', 'a.txt', 'a']]);
    expect((await send(svc, key, `/sessions/${session}/files`, form.body, form.contentType)).status).toBe(201);
    const started = await fetch(`${svc.url}/invoke`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: '[[scenario:hang]] hold', session_id: session, async: true }),
    });
    expect(started.status).toBe(202);
    const busy = await send(svc, key, `/sessions/${session}/files`, form.body, form.contentType);
    expect(busy.status).toBe(409);
    expect(busy.body.message).toMatch(/queued or running/);
    await fetch(`${svc.url}/sessions/${session}/cancel`, { method: 'POST', headers: { 'x-api-key': key } });

    const other = svc.runtime.keys.create('other', LIMITS).key;
    const foreign = await send(svc, other, `/sessions/${session}/files`, form.body, form.contentType);
    expect(foreign.status).toBe(404);
    expect(foreign.body.message).toBe(`Session ${session} was not found; omit session_id to start a new session.`);

    const hostile = await send(svc, key, `/sessions/upload-e2e-3/files`, tarGzOf([{ path: '../../x', body: 'evil' }]), 'application/gzip');
    expect(hostile.status).toBe(400);
    expect(hostile.body.message).toContain('"../../x"');
    // Refused: no session was made for it.
    expect((await fetch(`${svc.url}/sessions/upload-e2e-3`, { headers: { 'x-api-key': key } })).status).toBe(404);

    const json = await send(svc, key, `/sessions/upload-e2e-3/files`, '{}', 'application/json');
    expect(json.status).toBe(415);
    expect(json.body.accepted).toContain('application/zip');
  });

  it("answers 413 over the key's --max-upload-mb, naming how to raise it", async () => {
    const small = svc.runtime.keys.create('small', { ...LIMITS, maxUploadMb: 1 }).key;
    const form = multipartOf([['file', 'big.bin', Buffer.alloc(2 * 1024 * 1024, 1)]]);
    const res = await send(svc, small, '/sessions/upload-e2e-4/files', form.body, form.contentType);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 'payload_too_large', limit_name: 'upload_bytes', limit: 1024 * 1024 });
    expect(res.body.message).toContain('--max-upload-mb');
    expect(await fs.readdir(path.join(dataDir, 'sessions', 'upload-e2e-4', 'workspace'))).toEqual([]);
  });

  it('cca invoke --file and --dir upload into a new session, then run the task there (bin/cca, npm run build first)', async () => {
    const work = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-uploads-cli-'));
    await fs.writeFile(path.join(work, 'main.py'), 'print("main")\n');
    await fs.mkdir(path.join(work, 'proj/lib'), { recursive: true });
    await fs.writeFile(path.join(work, 'proj/lib/util.py'), 'def util(): pass\n');
    await fs.symlink('/etc/passwd', path.join(work, 'proj/passwd'));
    const { stdout, stderr } = await promisify(execFile)(
      CCA,
      ['invoke', '[[scenario:cli]] read the files', '--file', 'main.py', '--dir', '.', '--json', '--endpoint', svc.url, '--api-key', key],
      { cwd: work },
    );
    expect(stderr).toMatch(/Uploaded 1 file: 1 file, 14 bytes into session /);
    // The CLI leaves the link out of its tar.gz: nothing for the service to skip.
    expect(stderr).toMatch(/Uploaded \.: 2 files, \d+ bytes into session [^,]+\n/);
    const out = JSON.parse(stdout) as any;
    expect(out.output.success).toBe(true);
    const workspace = path.join(dataDir, 'sessions', out.output.session_id, 'workspace');
    expect(await fs.readFile(path.join(workspace, 'seen.txt'), 'utf8')).toBe('print("main")\ndef util(): pass\n');
    await expect(fs.lstat(path.join(workspace, 'proj/passwd'))).rejects.toThrow();
    await fs.rm(work, { recursive: true, force: true });
  });
});
