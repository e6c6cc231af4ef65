/**
 * What one API key can do to the others, over real HTTP with the real Claude Code binary: its
 * share of the run queue, event ids that say nothing of other sessions, its storage quota, and a
 * data dir no other user of the machine can read.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarios, text, toolUse } from '../support/model-server.js';
import { startTestService, type TestService } from '../support/service.js';
import { parseSseStream } from '../support/sse.js';

const MiB = 2 ** 20;
const LIMITS = { ratePerS: 10_000, burst: 10_000, dailyQuota: 1_000_000 };

const responder = scenarios({
  hang: [{ hang: true }],
  chatty: [
    { content: [toolUse('Write', { file_path: 'one.txt', content: '1\n' })] },
    { content: [toolUse('Write', { file_path: 'two.txt', content: '2\n' })] },
    { content: [text('Wrote two files.')] },
  ],
  // Exactly 1 MiB, then a small file that no longer fits a 1 MiB quota (files are stored in path order).
  fill: [
    { content: [toolUse('Bash', { command: `head -c ${MiB} /dev/zero > a.bin && echo hello > b.txt`, description: 'fill' })] },
    { content: [text('Filled.')] },
  ],
  small: [{ content: [toolUse('Write', { file_path: 'c.txt', content: 'c\n' })] }, { content: [text('Small.')] }],
});

async function call(svc: TestService, route: string, key: string, init: { body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${svc.url}${route}`, {
    method: init.body === undefined ? 'GET' : 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json', ...init.headers },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const raw = await res.text();
  let body: any = raw;
  try {
    body = JSON.parse(raw);
  } catch {
    // keep text
  }
  return { status: res.status, body, headers: res.headers };
}

/** The events of a session's stream as SSE messages: the `id:` field and the JSON id of each. */
async function streamIds(svc: TestService, key: string, sessionId: string, headers: Record<string, string> = {}, query = '') {
  const res = await fetch(`${svc.url}/sessions/${sessionId}/events${query}`, { headers: { 'x-api-key': key, ...headers } });
  expect(res.status).toBe(200);
  const out: { sse: string | undefined; json: number; type: string }[] = [];
  for await (const message of parseSseStream(res.body as ReadableStream<Uint8Array>)) {
    const event = JSON.parse(message.data) as { id: number; type: string };
    out.push({ sse: message.id, json: event.id, type: event.type });
  }
  return out;
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('tenancy: one key against the others', () => {
  let svc: TestService;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-tenancy-'));
    // What an older release left: a readable data dir, and the temp file of an upload it died in.
    await fs.chmod(dataDir, 0o755);
    await fs.mkdir(path.join(dataDir, 'artifacts/.staging'), { recursive: true });
    await fs.writeFile(path.join(dataDir, 'artifacts/.staging/0b7e8f0c-1d2e-4f3a-8b9c-0d1e2f3a4b5c.partial'), 'half');
    svc = await startTestService({ mode: 'serve', responder, dataDir, env: { CCA_MAX_RUNS: '1', CCA_MAX_QUEUE: '8' } });
  });
  afterAll(async () => {
    await svc?.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('holds one key to its share of the queue with a 429 that says what to do, while another key still queues', async () => {
    const greedy = svc.runtime.keys.create('greedy', { ...LIMITS, maxConcurrent: 1, maxQueued: 1 }).key;
    const other = svc.runtime.keys.create('other', LIMITS).key;
    const running = await call(svc, '/invoke', greedy, { body: { prompt: '[[scenario:hang]] hold the slot', async: true } });
    const queued = await call(svc, '/invoke', greedy, { body: { prompt: '[[scenario:hang]] wait', async: true } });
    expect([running.status, queued.status]).toEqual([202, 202]);

    const refused = await call(svc, '/invoke', greedy, { body: { prompt: 'one more', async: true } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(refused.body).toMatchObject({ code: 'key_queue_full', retry_after_s: 5 });
    expect(refused.body.message).toMatch(/already has 1 run\(s\) waiting.*cancel one.*cca keys update KEY_ID --max-queued N/);
    // The refused request left no session behind.
    const sessions = await call(svc, '/sessions?limit=100', greedy);
    expect(sessions.body.sessions).toHaveLength(2);

    // The global queue (8) still has room for everyone else.
    const otherQueued = await call(svc, '/invoke', other, { body: { prompt: '[[scenario:hang]] mine', async: true } });
    expect(otherQueued.status).toBe(202);

    for (const [key, res] of [
      [greedy, queued],
      [other, otherQueued],
      [greedy, running],
    ] as const) {
      expect((await call(svc, `/sessions/${res.body.session_id}/cancel`, key, { body: {} })).status).toBe(202);
    }
    await waitFor(async () => svc.runtime.service.activeRuns === 0, 'the cancelled runs to end');
  });

  it('numbers the events of each session 1, 2, 3... in the id field, the JSON, Last-Event-ID and after', async () => {
    const key = svc.runtime.keys.create('events', LIMITS).key;
    const first = await call(svc, '/invoke', key, { body: { prompt: '[[scenario:chatty]] first' } });
    const second = await call(svc, '/invoke', key, { body: { prompt: '[[scenario:chatty]] second' } });
    expect([first.status, second.status]).toEqual([200, 200]);
    const ids = { first: first.body.output.session_id as string, second: second.body.output.session_id as string };

    for (const sessionId of Object.values(ids)) {
      const events = await streamIds(svc, key, sessionId);
      expect(events.length).toBeGreaterThan(4);
      // The second session starts at 1 although the first one (and the tests before) recorded events.
      expect(events.map((e) => e.json)).toEqual(events.map((_, i) => i + 1));
      expect(events.map((e) => e.sse)).toEqual(events.map((_, i) => String(i + 1)));
    }
    const all = await streamIds(svc, key, ids.second);
    expect((await streamIds(svc, key, ids.second, { 'Last-Event-ID': '3' })).map((e) => e.json)).toEqual(all.slice(3).map((e) => e.json));
    expect((await streamIds(svc, key, ids.second, {}, '?after=4')).map((e) => e.json)).toEqual(all.slice(4).map((e) => e.json));
  });

  it('stores what fits in the storage quota, lists the rest as not stored, then refuses runs with 507 until there is room', async () => {
    const created = svc.runtime.keys.create('quota', { ...LIMITS, storageQuotaMb: 1 });
    const key = created.key;
    const filled = await call(svc, '/invoke', key, { body: { prompt: '[[scenario:fill]] fill it', permission_mode: 'acceptAll' } });
    expect(filled.status).toBe(200);
    const meta = filled.body.output.metadata;
    expect(meta.uploaded_files.map((f: any) => [f.file_name, f.size])).toEqual([['a.bin', MiB]]);
    expect(meta.skipped_files).toEqual([
      {
        path: 'b.txt',
        file_name: 'b.txt',
        reason: 'storage_quota',
        detail: expect.stringMatching(/storage quota of 1048576 bytes.*still in the session's workspace/),
      },
    ]);

    const refused = await call(svc, '/invoke', key, { body: { prompt: '[[scenario:small]] more' } });
    expect(refused.status).toBe(507);
    expect(refused.body).toMatchObject({ code: 'storage_quota_exceeded', used_bytes: MiB, quota_bytes: MiB });
    expect(refused.body.message).toMatch(/deleted 30 days after.*cca keys update KEY_ID --storage-quota MB/);
    // Refused before anything was recorded: still one session.
    expect((await call(svc, '/sessions', key)).body.sessions).toHaveLength(1);

    svc.runtime.keys.update(created.record.id, { storageQuotaMb: 2 });
    const after = await call(svc, '/invoke', key, { body: { prompt: '[[scenario:small]] more' } });
    expect(after.status).toBe(200);
    expect(after.body.output.metadata.uploaded_files.map((f: any) => f.file_name)).toEqual(['c.txt']);
  });

  it('keeps the data dir to the service: 0700, database and stored files 0600, and removed the dead upload', async () => {
    const modeOf = async (p: string) => (await fs.stat(path.join(dataDir, p))).mode & 0o777;
    expect(await modeOf('.')).toBe(0o700);
    for (const file of ['cca.db', 'cca.db-wal', '.signing_key']) expect([file, await modeOf(file)]).toEqual([file, 0o600]);
    for (const dir of ['artifacts', 'sessions']) expect([dir, await modeOf(dir)]).toEqual([dir, 0o700]);
    const stored = (await fs.readdir(path.join(dataDir, 'artifacts/outputs'), { recursive: true, withFileTypes: true })).filter((e) =>
      e.isFile(),
    );
    expect(stored.length).toBeGreaterThan(0);
    for (const file of stored) expect((await fs.stat(path.join(file.parentPath, file.name))).mode & 0o777).toBe(0o600);
    expect(await fs.readdir(path.join(dataDir, 'artifacts/.staging'))).toEqual([]);
  });
});

describe('retention: stored files past CCA_RETENTION_DAYS', () => {
  let svc: TestService;
  let clock = Date.now();

  beforeAll(async () => {
    svc = await startTestService({ mode: 'serve', responder, now: () => clock, env: { CCA_RETENTION_DAYS: '30' } });
  });
  afterAll(async () => svc?.close());

  it('are deleted by the sweep (their links then answer 404), which gives the bytes back to the key, and the records stay', async () => {
    const key = svc.runtime.keys.create('kept', { ...LIMITS, storageQuotaMb: 1 }).key;
    const filled = await call(svc, '/invoke', key, { body: { prompt: '[[scenario:fill]] fill it', permission_mode: 'acceptAll' } });
    expect(filled.status).toBe(200);
    const [stored] = filled.body.output.metadata.uploaded_files;
    expect((await fetch(stored.download_url)).status).toBe(200);
    expect((await call(svc, '/invoke', key, { body: { prompt: '[[scenario:small]] more' } })).status).toBe(507);

    // 29 days on, nothing is due yet.
    clock += 29 * 86_400_000;
    expect(await svc.runtime.retention.sweep()).toEqual({ deleted: 0, failed: 0 });
    expect((await fetch(stored.download_url)).status).toBe(200);

    clock += 2 * 86_400_000;
    expect(await svc.runtime.retention.sweep()).toEqual({ deleted: 1, failed: 0 });
    expect((await fetch(stored.download_url)).status).toBe(404);
    const again = await call(svc, '/invoke', key, { body: { prompt: '[[scenario:small]] more' } });
    expect(again.status).toBe(200);
    // The session and its first invocation are still there to read.
    const detail = await call(svc, `/sessions/${filled.body.output.session_id}`, key);
    expect(detail.body.invocations).toHaveLength(1);
  });
});
