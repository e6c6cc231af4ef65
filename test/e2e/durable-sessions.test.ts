/**
 * Sessions that outlive the worker, with real parts: two `cca runtime` processes (the build in
 * dist/) with separate data dirs share one S3-compatible server (s3rver, with S3's conditional
 * writes) and one scripted model. A session started on worker A is continued on worker B after A
 * was killed with SIGKILL: B restores the files and the conversation (the model checks the
 * transcript it is sent). Two continuations at once: one runs, the other gets 409. A damaged saved
 * transcript: a clear 422, never a silent fresh start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listening } from '../support/cca-banner.js';
import {
  lastToolResults,
  startModelServer,
  text,
  toolUse,
  userTexts,
  type ModelRequest,
  type ModelServer,
  type Reply,
} from '../support/model-server.js';
import { S3RVER_CREDENTIALS, startS3Server, type TestS3Server } from '../support/s3-server.js';
import { startTestService } from '../support/service.js';

const CCA = path.resolve(import.meta.dirname, '../../bin/cca');
const SESSION_HEADER = 'X-Amzn-Bedrock-AgentCore-Runtime-Session-Id';
const PREFIX = 'shared';

interface Worker {
  child: ChildProcess;
  url: string;
  dataDir: string;
}

let s3: TestS3Server;
let model: ModelServer;
const children: ChildProcess[] = [];
const dirs: string[] = [];

/**
 * One conversation over two invocations. The second one (a new prompt) asks the workspace for the
 * file the first wrote, and answers with whether the request carried the first prompt's fact and
 * the first answer: only a restored transcript gives both.
 */
function memory(req: ModelRequest, turn: number): Reply {
  const texts = userTexts(req.body);
  // A run that writes a file, then waits for ever: its worker dies in the middle of it.
  if (texts.some((t) => t.includes('[[crash]]'))) {
    const resumed = texts.some((t) => t.includes('what did you write'));
    if (!resumed)
      return turn === 0 ? { content: [toolUse('Write', { file_path: 'partial.txt', content: 'half done\n' })] } : { hang: true };
    const last = req.body.messages.filter((m) => m.role === 'user').at(-1);
    if (last === undefined || typeof last.content === 'string' || !last.content.some((b) => b.type === 'tool_result')) {
      return { content: [toolUse('Bash', { command: 'cat partial.txt', description: 'read it' })] };
    }
    const read = lastToolResults(req.body)[0]?.content;
    // Only a restored transcript carries the first run's prompt and its Write.
    const history = texts.some((t) => t.includes('write partial.txt, then wait')) && JSON.stringify(req.body.messages).includes('half done');
    return { content: [text(`crashed-run-history=${history} file=${(typeof read === 'string' ? read : JSON.stringify(read)).trim()}`)] };
  }
  const asked = texts.some((t) => t.includes('what was the code word'));
  if (!asked) {
    if (turn === 0) return { content: [toolUse('Write', { file_path: 'notes.txt', content: 'ananas\n' })] };
    return { content: [text('Noted: the code word is in notes.txt.')] };
  }
  const history = texts.some((t) => t.includes('the code word is ananas'));
  const answered = req.body.messages.some(
    (m) => m.role === 'assistant' && JSON.stringify(m.content).includes('Noted: the code word is in notes.txt.'),
  );
  // Claude Code may add system-role messages after the user's: the last user message is what counts.
  const last = req.body.messages.filter((m) => m.role === 'user').at(-1);
  const lastIsToolResult = last !== undefined && typeof last.content !== 'string' && last.content.some((b) => b.type === 'tool_result');
  if (!lastIsToolResult) {
    return { content: [toolUse('Bash', { command: 'cat notes.txt', description: 'read the note' })], delayMs: slow ? 1500 : 0 };
  }
  const read = lastToolResults(req.body)[0]?.content;
  const shown = (typeof read === 'string' ? read : JSON.stringify(read)).trim();
  return { content: [text(`history=${history && answered} file=${shown}`)] };
}
let slow = false;

beforeAll(async () => {
  s3 = await startS3Server();
  model = await startModelServer((req) => {
    if (req.kind === 'side') return { content: [text('ok')] };
    return memory(req, req.body.messages.filter((m) => m.role === 'assistant').length);
  });
});

afterEach(async () => {
  // Each worker leads its own process group: the group takes Claude Code with it.
  for (const child of children.splice(0)) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
});

afterAll(async () => {
  await model?.close();
  await s3?.close();
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

async function startWorker(extraEnv: Record<string, string> = {}): Promise<Worker> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-durable-e2e-'));
  dirs.push(dataDir);
  const child = spawn(process.execPath, [CCA, 'runtime', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
    env: {
      PATH: process.env.PATH,
      ANTHROPIC_BASE_URL: model.url,
      ANTHROPIC_API_KEY: 'sk-test',
      CCA_MODEL_MAX_RETRIES: '0',
      CCA_LOG_LEVEL: 'warn',
      CCA_STORAGE: `s3://${s3.bucket}/${PREFIX}`,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      CCA_S3_FORCE_PATH_STYLE: '1',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(child);
  const { url, banner } = await listening(child, /Try: curl/);
  expect(banner).toMatch(/sessions: saved to the storage/);
  return { child, url, dataDir };
}

async function invoke(worker: Worker, sessionId: string, prompt: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${worker.url}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [SESSION_HEADER]: sessionId },
    body: JSON.stringify({ prompt }),
  });
  return { status: res.status, body: await res.json() };
}

function newSession(): string {
  return `durable-${randomUUID()}`;
}

async function getJson(key: string): Promise<any> {
  const res = await s3.client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: `${PREFIX}/${key}` }));
  return JSON.parse(await (res.Body as { transformToString(): Promise<string> }).transformToString());
}

describe('sessions that outlive the worker', () => {
  it('continues on worker B, with the files and the conversation, a session whose worker A was killed', async () => {
    const [a, b] = await Promise.all([startWorker(), startWorker()]);
    const sessionId = newSession();
    const first = await invoke(a, sessionId, 'Remember this: the code word is ananas.');
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.output.success).toBe(true);
    expect(first.body.output.session_state).toMatchObject({ generation: 1, restored: null, saved: { generation: 1 } });
    expect(first.body.output.metadata.uploaded_files.map((f: { file_name: string }) => f.file_name)).toEqual(['notes.txt']);

    process.kill(-(a.child.pid as number), 'SIGKILL');
    await new Promise((r) => a.child.once('exit', r));

    const second = await invoke(b, sessionId, 'what was the code word? Read notes.txt.');
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body.output.result).toBe('history=true file=ananas');
    expect(second.body.output.session_state.restored).toMatchObject({ generation: 1, fetched_files: expect.any(Number) });
    expect(second.body.output.session_state.saved.generation).toBe(2);
    // The head names B's save; the files of both invocations are stored.
    const head = await getJson(`sessions/${sessionId}/saved/head.json`);
    expect(head).toMatchObject({ generation: 2, invocation_id: second.body.output.invocation_id, checkpoint: false });
    const listed = await s3.client().send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${PREFIX}/outputs/` }));
    const keys = (listed.Contents ?? []).map((o) => o.Key as string);
    expect(keys.some((k) => k.startsWith(`${PREFIX}/${first.body.output.metadata.storage_prefix}/`) && k.endsWith('/notes.txt'))).toBe(
      true,
    );
    // The lease was given back: a third invocation on B starts at once, from B's own copy (no restore).
    const third = await invoke(b, sessionId, 'what was the code word? Read notes.txt.');
    expect(third.status).toBe(200);
    expect(third.body.output.session_state.restored).toBeNull();
    expect(third.body.output.session_state.saved.generation).toBe(3);
  }, 240_000);

  it("continues on worker B from the checkpoint of a run whose worker A died in the middle of it, once A's lease has expired", async () => {
    const fast = { CCA_SESSION_CHECKPOINT_S: '1', CCA_SESSION_LEASE_S: '5' };
    const [a, b] = await Promise.all([startWorker(fast), startWorker(fast)]);
    const sessionId = newSession();
    // Started and left running: the model never answers its second turn.
    void fetch(`${a.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SESSION_HEADER]: sessionId },
      body: JSON.stringify({ prompt: '[[crash]] write partial.txt, then wait' }),
    }).catch(() => undefined);
    // A checkpoint that holds the file the run wrote.
    const deadline = Date.now() + 60_000;
    let head: any;
    while (Date.now() < deadline) {
      head = await getJson(`sessions/${sessionId}/saved/head.json`).catch(() => undefined);
      if (head?.checkpoint === true) {
        const m = await s3.client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: `${PREFIX}/${head.manifest.key}` }));
        const body = Buffer.from(await (m.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
        if (JSON.parse(gunzipSync(body).toString()).trees.workspace.some((e: { p: string }) => e.p === 'partial.txt')) break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(head?.checkpoint).toBe(true);
    expect(head.claude_session_id).toMatch(/^[0-9a-f-]{36}$/);
    process.kill(-(a.child.pid as number), 'SIGKILL');
    // A held the lease: B waits for it to expire (409 with Retry-After until then).
    let answer: { status: number; body: any } | undefined;
    let refused = 0;
    while (Date.now() < deadline) {
      answer = await invoke(b, sessionId, '[[crash]] what did you write before? Read it.');
      if (answer.status !== 409) break;
      refused++;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(refused).toBeGreaterThan(0);
    expect(answer?.status, JSON.stringify(answer?.body)).toBe(200);
    expect(answer?.body.output.result).toBe('crashed-run-history=true file=half done');
    expect(answer?.body.output.session_state.restored.generation).toBe(head.generation);
  }, 240_000);

  it('lets one of two concurrent continuations run and answers 409 to the other, and the session stays whole', async () => {
    const [a, b] = await Promise.all([startWorker(), startWorker()]);
    const sessionId = newSession();
    expect((await invoke(a, sessionId, 'Remember this: the code word is ananas.')).status).toBe(200);
    slow = true;
    let results: { status: number; body: any }[];
    try {
      results = await Promise.all([
        invoke(a, sessionId, 'what was the code word? Read notes.txt.'),
        invoke(b, sessionId, 'what was the code word? Read notes.txt.'),
      ]);
    } finally {
      slow = false;
    }
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409]);
    const won = results.find((r) => r.status === 200) as { body: any };
    const lost = results.find((r) => r.status === 409) as { body: any };
    expect(lost.body.message).toMatch(/already running an invocation/);
    expect(won.body.output.result).toBe('history=true file=ananas');
    // Whichever won, the other worker continues from its save.
    const loser = results[0]?.status === 409 ? a : b;
    const after = await invoke(loser, sessionId, 'what was the code word? Read notes.txt.');
    expect(after.status, JSON.stringify(after.body)).toBe(200);
    expect(after.body.output.result).toBe('history=true file=ananas');
    expect(after.body.output.session_state.saved.generation).toBe(3);
  }, 240_000);

  it('refuses a session whose saved transcript was damaged, with a clear 422, and uses none of it', async () => {
    const [a, b] = await Promise.all([startWorker(), startWorker()]);
    const sessionId = newSession();
    expect((await invoke(a, sessionId, 'Remember this: the code word is ananas.')).status).toBe(200);
    // Overwrite the transcript's blob, as a partial write or a bad disk would leave it.
    const head = await getJson(`sessions/${sessionId}/saved/head.json`);
    const res = await s3.client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: `${PREFIX}/${head.manifest.key}` }));
    const manifest = JSON.parse(
      gunzipSync(Buffer.from(await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray())).toString(),
    );
    const transcript = manifest.trees.home.find((e: { p: string }) => /^\.claude\/projects\/[^/]+\/[0-9a-f-]{36}\.jsonl$/.test(e.p));
    expect(transcript, 'the saved home holds the conversation').toBeDefined();
    await s3.client().send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: `${PREFIX}/sessions/${sessionId}/saved/blobs/${transcript.h}`,
        Body: '{"type":"user","message":"not what was saved"}\n',
      }),
    );
    const asked = model.requests.length;
    const answer = await invoke(b, sessionId, 'what was the code word? Read notes.txt.');
    expect(answer.status).toBe(422);
    expect(answer.body.output.stop_reason).toBe('workspace_error');
    expect(answer.body.output.error_code).toBe('session_state_damaged');
    expect(answer.body.output.result).toMatch(
      /saved state of session .* is damaged \(the saved conversation transcript ".*\.jsonl" does not match its checksum\)/,
    );
    // The model was never asked to continue from it.
    expect(model.requests.slice(asked).filter((r) => r.kind !== 'side')).toEqual([]);
    // The session is not held: its owner's worker can still run it from its own copy.
    const onA = await invoke(a, sessionId, 'what was the code word? Read notes.txt.');
    expect(onA.status).toBe(200);
  }, 240_000);

  it('carries a session from before durable state forward: its next invocation resumes it as it was and saves it', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-durable-migrate-'));
    dirs.push(dataDir);
    const env = {
      CCA_STORAGE: `s3://${s3.bucket}/${PREFIX}`,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      CCA_S3_FORCE_PATH_STYLE: '1',
      AWS_REGION: 'us-east-1',
    };
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
    const sessionId = newSession();
    try {
      // The version before: S3 storage, no saved sessions (as CCA_SESSION_STATE=off behaves).
      const before = await startTestService({ model, dataDir, env: { ...env, CCA_SESSION_STATE: 'off' } });
      const first = await before.invoke({ prompt: 'Remember this: the code word is ananas.' }, { [SESSION_HEADER]: sessionId });
      await before.close();
      expect(first.status).toBe(200);
      expect(first.body.output.session_state).toBeUndefined();
      // This version on the same data dir: the session goes on, and is saved from now on.
      const after = await startTestService({ model, dataDir, env });
      const second = await after.invoke({ prompt: 'what was the code word? Read notes.txt.' }, { [SESSION_HEADER]: sessionId });
      await after.close();
      expect(second.status, JSON.stringify(second.body)).toBe(200);
      expect(second.body.output.result).toBe('history=true file=ananas');
      expect(second.body.output.session_state).toMatchObject({ generation: 1, restored: null, saved: { generation: 1 } });
      // And a worker that never had it continues it from that save.
      const b = await startWorker();
      const third = await invoke(b, sessionId, 'what was the code word? Read notes.txt.');
      expect(third.body.output.result).toBe('history=true file=ananas');
      expect(third.body.output.session_state.restored.generation).toBe(1);
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
  }, 240_000);
});
