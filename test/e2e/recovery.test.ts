/**
 * The service dying and stopping, with real processes: `bin/cca serve` (the build in dist/) runs a
 * task whose first turn writes a file through Bash and whose second turn never gets an answer;
 * then the service is killed with SIGKILL (and started again on the same data dir) or stopped
 * with SIGTERM. Either way the invocation gets a final status, the file is stored and
 * downloadable, the session's event stream ends, and the database opens fine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SessionEventSchema, type SessionEvent } from '../../src/events/index.js';
import { parseSseStream } from '../support/sse.js';
import { openDatabase } from '../../src/store/index.js';
import { listening, SERVE_BANNER_END } from '../support/cca-banner.js';
import { assistantTurns, scenarioOf, scenarios, text, toolUse, type ModelServer, startModelServer } from '../support/model-server.js';

const CCA = path.resolve(import.meta.dirname, '../../bin/cca');

/** Bounds, not speed targets. */
const FILE_WRITTEN_MS = 30_000;
const SIGTERM_EXIT_MS = 20_000;

interface Serve {
  child: ChildProcess;
  url: string;
  banner: string;
  exited: Promise<number | null>;
}

let model: ModelServer;
const dirs: string[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  const twoTurns = (file: string) => [
    { content: [toolUse('Bash', { command: `echo "written before the stop" > ${file}`, description: 'write a file' })] },
    // The run waits here until the service dies or stops.
    { hang: true as const },
  ];
  model = await startModelServer(
    scenarios({ crash: twoTurns('crash.txt'), term: twoTurns('term.txt'), done: [{ content: [text('nothing to do')] }] }),
  );
});
afterAll(async () => {
  await model?.close();
  await Promise.all(dirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});
afterEach(async () => {
  // Each service leads its own process group (detached): the group takes Claude Code and its
  // shell with it, even after the leader itself was killed.
  for (const child of children.splice(0)) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The whole group is gone already.
    }
  }
});

async function dataDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-recovery-e2e-'));
  dirs.push(dir);
  return dir;
}

/** Starts `cca serve` on `dir` and waits for its banner. */
async function serve(dir: string, env: Record<string, string> = {}): Promise<Serve> {
  const child = spawn(CCA, ['serve', '--port', '0', '--data-dir', dir], {
    env: {
      PATH: process.env.PATH,
      ANTHROPIC_BASE_URL: model.url,
      ANTHROPIC_API_KEY: 'sk-test',
      CCA_MODEL_MAX_RETRIES: '0',
      CCA_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const { url, banner } = await listening(child, SERVE_BANNER_END);
  return { child, url, banner, exited };
}

async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

/**
 * Starts the scenario asynchronously and waits until its file is written and the model holds the
 * second turn: the run is then in the middle of its work.
 */
async function startAndWaitMidRun(svc: Serve, key: string, dir: string, scenario: string, file: string) {
  // Requests of earlier tests with the same scenario do not count: only this run's second turn.
  const seen = model.requests.length;
  const res = await fetch(`${svc.url}/invoke`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: `[[scenario:${scenario}]] write ${file}, then think for a long time`, async: true }),
  });
  expect(res.status).toBe(202);
  const { session_id: sessionId, invocation_id: invocationId } = (await res.json()) as { session_id: string; invocation_id: string };
  const written = path.join(dir, 'sessions', sessionId, 'workspace', file);
  await waitFor(
    `${file} written and the second turn asked`,
    () => existsSync(written) && model.requests.slice(seen).some((r) => scenarioOf(r.body) === scenario && assistantTurns(r.body) === 1),
    FILE_WRITTEN_MS,
  );
  expect(await fs.readFile(written, 'utf8')).toBe('written before the stop\n');
  return { sessionId, invocationId };
}

async function sessionDetail(url: string, key: string, sessionId: string) {
  const res = await fetch(`${url}/sessions/${sessionId}`, { headers: { 'x-api-key': key } });
  expect(res.status).toBe(200);
  return (await res.json()) as any;
}

/** The session's whole event stream; it must end by itself (the session is idle). */
async function allEvents(url: string, key: string, sessionId: string): Promise<SessionEvent[]> {
  const res = await fetch(`${url}/sessions/${sessionId}/events`, { headers: { 'x-api-key': key }, signal: AbortSignal.timeout(15_000) });
  expect(res.status).toBe(200);
  const events: SessionEvent[] = [];
  for await (const message of parseSseStream(res.body!)) events.push(SessionEventSchema.parse(JSON.parse(message.data)) as SessionEvent);
  return events;
}

const firstKey = (banner: string) => /^\s+(cca_\S+)$/m.exec(banner)?.[1];

/** Opens the database as the next start would, and checks every page. */
function checkDatabase(dir: string, invocationId: string): { integrity: unknown; status: unknown } {
  const db = openDatabase(dir);
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }),
      status: (db.prepare('SELECT status FROM invocations WHERE id = ?').get(invocationId) as { status: string } | undefined)?.status,
    };
  } finally {
    db.close();
  }
}

describe('a service killed in the middle of a run', () => {
  it('marks the run interrupted at the next start, with the file it wrote stored, its event stream ended, and the database intact', async () => {
    const dir = await dataDir();
    const first = await serve(dir);
    const key = firstKey(first.banner);
    expect(key).toBeDefined();
    const { sessionId, invocationId } = await startAndWaitMidRun(first, key!, dir, 'crash', 'crash.txt');
    // The "before" snapshot is on disk while the run is going.
    expect(existsSync(path.join(dir, 'sessions', sessionId, 'snapshots', `${invocationId}.json`))).toBe(true);

    process.kill(first.child.pid!, 'SIGKILL');
    expect(await first.exited).toBeNull();

    const second = await serve(dir);
    expect(firstKey(second.banner)).toBeUndefined(); // the key from the first start still works
    const detail = await sessionDetail(second.url, key!, sessionId);
    expect(detail.status).toBe('interrupted');
    const inv = detail.invocations[0];
    expect(inv).toMatchObject({ invocation_id: invocationId, status: 'interrupted', success: false, stop_reason: 'interrupted' });
    expect(inv.ended_at).not.toBeNull();
    expect(inv.result).toMatch(/service stopped while this invocation was running.*1 file\(s\) it created or changed were stored/);
    expect(inv.files.map((f: { file_name: string }) => f.file_name)).toEqual(['crash.txt']);
    const download = await fetch(inv.files[0].download_url);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe('written before the stop\n');

    const events = await allEvents(second.url, key!, sessionId);
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['invocation.queued', 'invocation.started', 'tool.call', 'file.stored']),
    );
    const last = events.at(-1);
    expect(last).toMatchObject({ type: 'invocation.completed', invocation_id: invocationId, data: { status: 'interrupted' } });
    expect(existsSync(path.join(dir, 'sessions', sessionId, 'snapshots', `${invocationId}.json`))).toBe(false);

    // The session goes on: a new invocation in it runs normally.
    const next = await fetch(`${second.url}/invoke`, {
      method: 'POST',
      headers: { 'x-api-key': key!, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: '[[scenario:done]] carry on', session_id: sessionId }),
    });
    expect(((await next.json()) as any).output).toMatchObject({ success: true, session_id: sessionId });

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(checkDatabase(dir, invocationId)).toEqual({ integrity: 'ok', status: 'interrupted' });
  });
});

describe('a service stopped with SIGTERM in the middle of a run', () => {
  it('waits CCA_SHUTDOWN_GRACE_S, cancels the run with its file stored, and exits 0', async () => {
    const dir = await dataDir();
    const first = await serve(dir, { CCA_SHUTDOWN_GRACE_S: '1' });
    const key = firstKey(first.banner)!;
    const { sessionId, invocationId } = await startAndWaitMidRun(first, key, dir, 'term', 'term.txt');

    const stopping = Date.now();
    first.child.kill('SIGTERM');
    const code = await Promise.race([first.exited, new Promise((r) => setTimeout(() => r('still running'), SIGTERM_EXIT_MS))]);
    const stopMs = Date.now() - stopping;
    expect(code).toBe(0);
    // It waited the grace period before cancelling.
    expect(stopMs).toBeGreaterThanOrEqual(1000);
    expect(checkDatabase(dir, invocationId)).toEqual({ integrity: 'ok', status: 'cancelled' });

    const second = await serve(dir);
    const inv = (await sessionDetail(second.url, key, sessionId)).invocations[0];
    expect(inv).toMatchObject({ invocation_id: invocationId, status: 'cancelled', success: false, stop_reason: 'cancelled' });
    expect(inv.files.map((f: { file_name: string }) => f.file_name)).toEqual(['term.txt']);
    expect(await (await fetch(inv.files[0].download_url)).text()).toBe('written before the stop\n');
    const last = (await allEvents(second.url, key, sessionId)).at(-1);
    expect(last).toMatchObject({ type: 'invocation.completed', invocation_id: invocationId, data: { status: 'cancelled' } });
    expect(existsSync(path.join(dir, 'sessions', sessionId, 'snapshots', `${invocationId}.json`))).toBe(false);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('keeps waiting within a longer grace period, and a second signal cancels at once', async () => {
    const dir = await dataDir();
    const first = await serve(dir, { CCA_SHUTDOWN_GRACE_S: '120' });
    const key = firstKey(first.banner)!;
    const { invocationId } = await startAndWaitMidRun(first, key, dir, 'term', 'term.txt');

    first.child.kill('SIGTERM');
    const early = await Promise.race([first.exited, new Promise((r) => setTimeout(() => r('still running'), 2000))]);
    expect(early).toBe('still running');
    first.child.kill('SIGTERM');
    const code = await Promise.race([first.exited, new Promise((r) => setTimeout(() => r('still running'), SIGTERM_EXIT_MS))]);
    expect(code).toBe(0);
    expect(checkDatabase(dir, invocationId)).toEqual({ integrity: 'ok', status: 'cancelled' });
  });
});
