/**
 * The warm pool with the real Claude Code binary in its sandbox: a new session takes an agent that
 * was started before the request, gets the same answer as a cold run, and that agent never serves
 * anyone again; the pool grows with demand, shrinks when idle, replaces an agent that died, and
 * leaves no process or folder behind when the service stops.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/logging/index.js';
import { scenarios, userTexts } from '../support/model-server.js';
import { parseSseStream } from '../support/sse.js';
import { startTestService, type TestService } from '../support/service.js';
import { waitFor } from '../support/wait-for.js';
import { BENCH_SCRIPT, PROMPT } from '../../bench/task.js';
import type { WarmAgent } from '../../src/runtime/index.js';

const responder = scenarios({ bench: BENCH_SCRIPT });
let svc: TestService;
let keyA: string;
let keyB: string;

beforeAll(async () => {
  // Warnings (an agent that could not start, one that died) go to stderr: they say why a wait below timed out.
  const logger = pino({ level: 'warn' }, process.stderr) as unknown as Logger;
  svc = await startTestService({ mode: 'serve', responder, env: { CCA_WARM_POOL: '3', CCA_WARM_IDLE_S: '30' }, logger });
  keyA = svc.runtime.keys.create('a', { ratePerS: 1000, burst: 1000, dailyQuota: 100_000 }).key;
  keyB = svc.runtime.keys.create('b', { ratePerS: 1000, burst: 1000, dailyQuota: 100_000 }).key;
}, 60_000);
afterAll(async () => {
  await svc?.close();
});

const pool = () => {
  const warm = svc.runtime.warm;
  if (warm === undefined) throw new Error('the warm pool is off');
  return warm;
};

/** A ready agent of the default shape (every request option left out). */
const readyDefault = () =>
  waitFor('a ready warm agent', () =>
    pool()
      .readySpares()
      .find((s) => s.shape.maxTurns === svc.config.limits.defaultMaxTurns),
  );

async function invoke(key: string, body: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${svc.url}/invoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

function readProc(pid: string, file: string): string {
  try {
    return fs.readFileSync(path.join('/proc', pid, file), 'utf8');
  } catch {
    return '';
  }
}

/** The bubblewrap processes that are children of this one. */
function bwrapChildren(): string[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => readProc(pid, 'stat').split(') ')[1]?.split(' ')[1] === String(process.pid))
    .filter((pid) => readProc(pid, 'cmdline').includes('bwrap'));
}

const alive = (pid: number | undefined) => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Every key path of a JSON value, arrays by their first element: the shape of an answer. */
function shapeOf(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return [`${prefix}[]`, ...(value.length > 0 ? shapeOf(value[0], `${prefix}[]`) : [])];
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [`${prefix}.${k}`, ...shapeOf(v, `${prefix}.${k}`)]);
  }
  return [];
}

const storedFile = async (output: any) => {
  const file = output.metadata.uploaded_files.find((f: any) => f.file_name === 'hello.py');
  return file === undefined ? undefined : (await fetch(file.download_url)).text();
};

describe('warm pool', () => {
  it('answers a warm hit and a cold miss with the same output shape and the same work done', async () => {
    const agent = await readyDefault();
    const hit = await invoke(keyA, { prompt: PROMPT });
    expect(hit.status).toBe(200);
    expect(hit.body.output.success).toBe(true);
    expect(hit.body.output.metadata.warm_start).toBe(true);
    expect(hit.body.output.session_id).toBe(agent.sessionId);
    // max_turns the pool was not started with: this request starts its own Claude Code.
    const miss = await invoke(keyA, { prompt: PROMPT, max_turns: 7 });
    expect(miss.status).toBe(200);
    expect(miss.body.output.success).toBe(true);
    expect(miss.body.output.metadata.warm_start).toBe(false);
    expect(shapeOf(hit.body).sort()).toEqual(shapeOf(miss.body).sort());
    for (const answer of [hit, miss]) {
      expect(answer.body.output.result).toBe('Created hello.py.');
      expect(answer.body.output.num_turns ?? answer.body.output.metadata.num_turns).toBe(2);
      expect(answer.body.output.changes.files).toMatchObject([{ path: 'hello.py', status: 'added' }]);
      expect(await storedFile(answer.body.output)).toBe('print("Hello, World!")\n');
    }
  }, 90_000);

  it('serves one invocation per agent: the agent is gone after it, a continue runs cold, another key gets another agent', async () => {
    const first = await readyDefault();
    const firstPid = first.pid;
    expect(alive(firstPid)).toBe(true);
    const a = await invoke(keyA, { prompt: PROMPT });
    expect(a.body.output.metadata.warm_start).toBe(true);
    const sessionA = a.body.output.session_id as string;
    // The agent that served key A ended with its run.
    await waitFor('the used agent to exit', () => !alive(firstPid), 5000);
    expect(pool().holds(sessionA)).toBe(false);
    expect(
      pool()
        .readySpares()
        .map((s) => s.sessionId),
    ).not.toContain(sessionA);
    // Continuing the session runs cold: a conversation to resume is not what a warm agent holds.
    const again = await invoke(keyA, { prompt: PROMPT, session_id: sessionA });
    expect(again.status).toBe(200);
    expect(again.body.output.metadata.warm_start).toBe(false);
    // ...and it resumed the conversation the warm agent had: the first prompt is in the model's request.
    const resumed = svc.model.requests.filter((r) => r.kind === 'main').at(-1);
    expect(userTexts(resumed!.body).filter((t) => t.includes(PROMPT))).toHaveLength(2);
    // Key B gets another agent, in another session, and cannot see key A's.
    const second = await readyDefault();
    expect(second.sessionId).not.toBe(sessionA);
    expect(second.pid).not.toBe(firstPid);
    const b = await invoke(keyB, { prompt: PROMPT });
    expect(b.body.output.metadata.warm_start).toBe(true);
    expect(b.body.output.session_id).toBe(second.sessionId);
    const peek = await fetch(`${svc.url}/sessions/${sessionA}`, { headers: { 'x-api-key': keyB } });
    expect(peek.status).toBe(404);
    // A waiting agent's session id cannot be named by anyone.
    const waiting = await readyDefault();
    const named = await invoke(keyB, { prompt: PROMPT, session_id: waiting.sessionId });
    expect(named.status).toBe(409);
    expect(
      pool()
        .readySpares()
        .map((s) => s.sessionId),
    ).toContain(waiting.sessionId);
  }, 120_000);

  it('replaces an agent that died, and the request that meets it still succeeds', async () => {
    const agent = await readyDefault();
    expect(alive(agent.pid)).toBe(true);
    process.kill(agent.pid as number, 'SIGKILL');
    // Sent at once: it may take the dead agent (the run then starts Claude Code itself) or find a fresh one.
    const answer = await invoke(keyA, { prompt: PROMPT });
    expect(answer.status).toBe(200);
    expect(answer.body.output.success).toBe(true);
    expect(await storedFile(answer.body.output)).toBe('print("Hello, World!")\n');
    const replacement = await readyDefault();
    expect(replacement.pid).not.toBe(agent.pid);
    expect(alive(replacement.pid)).toBe(true);
  }, 90_000);

  it('grows for a burst of a new shape, refills after use, and shrinks back when nobody asks', async () => {
    const shape = { prompt: PROMPT, max_turns: 9 };
    const isBurstShape = (s: WarmAgent) => s.shape.maxTurns === 9;
    // Three at once: all miss (nothing of this shape is warm), and the pool learns the shape.
    const burst = await Promise.all([invoke(keyA, shape), invoke(keyA, shape), invoke(keyB, shape)]);
    for (const answer of burst) expect(answer.body.output.success).toBe(true);
    // Two of that shape (the pool's max of 3, less the default shape's one), which the burst called for.
    await waitFor('two agents of the burst shape', () => pool().readySpares().filter(isBurstShape).length === 2);
    const used = await invoke(keyA, shape);
    expect(used.body.output.metadata.warm_start).toBe(true);
    await waitFor('the pool to refill', () => pool().readySpares().filter(isBurstShape).length === 2, 60_000);
    // Idle past CCA_WARM_IDLE_S (30 s: long enough that a loaded CI machine's slow runs and starts
    // stay inside it until here): the shape is let go, and the default shape's one agent comes back.
    await waitFor('the burst shape to be let go', () => pool().readySpares().filter(isBurstShape).length === 0, 60_000);
    const left = await waitFor('the default agent', () => {
      const ready = pool().readySpares();
      return ready.length === 1 && !isBurstShape(ready[0] as WarmAgent) ? ready : undefined;
    });
    expect(left).toHaveLength(1);
    expect(pool().stats()).toMatchObject({ enabled: true, max: 3, ready: 1 });
  }, 180_000);

  it('asks its approvals through the API on a warm agent (manual mode), and the answer reaches the run', async () => {
    const manual = { prompt: PROMPT, permission_mode: 'manual', async: true };
    const approveAll = async (sessionId: string) => {
      const abort = new AbortController();
      const res = await fetch(`${svc.url}/sessions/${sessionId}/events`, { headers: { 'x-api-key': keyA }, signal: abort.signal });
      for await (const m of parseSseStream(res.body!)) {
        const event = JSON.parse(m.data);
        if (event.type === 'permission.request') {
          expect(event.data.tool).toBe('Write');
          const answer = await fetch(`${svc.url}/sessions/${sessionId}/permissions/${event.data.request_id}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': keyA },
            body: JSON.stringify({ decision: 'allow' }),
          });
          expect(answer.status).toBe(200);
        }
        if (event.type === 'invocation.completed') {
          abort.abort();
          return event.data;
        }
      }
      throw new Error('the event stream ended before the invocation did');
    };
    // Two manual requests teach the pool the shape (one alone is not kept); the next finds an agent of it.
    for (let i = 0; i < 2; i++) {
      const first = await invoke(keyA, manual);
      expect(first.status).toBe(202);
      await approveAll(first.body.session_id);
    }
    const agent = await waitFor('a manual-mode agent', () =>
      pool()
        .readySpares()
        .find((s) => s.shape.permissionMode === 'manual'),
    );
    const hits = pool().stats().hits;
    const second = await invoke(keyA, manual);
    // Its session is the agent's: the agent took the request.
    expect(second.body.session_id).toBe(agent.sessionId);
    expect(pool().stats().hits).toBe(hits + 1);
    await approveAll(second.body.session_id);
    const detail = (await (await fetch(`${svc.url}/sessions/${agent.sessionId}`, { headers: { 'x-api-key': keyA } })).json()) as any;
    expect(detail.invocations[0]).toMatchObject({ status: 'succeeded' });
    expect(detail.invocations[0].files.map((f: any) => f.file_name)).toEqual(['hello.py']);
  }, 90_000);

  it('shows the pool on /health and /metrics', async () => {
    const health = (await (await fetch(`${svc.url}/health`)).json()) as any;
    expect(health.warm_pool).toMatchObject({ enabled: true, max: 3 });
    expect(health.warm_pool.hits).toBeGreaterThanOrEqual(4);
    expect(health.warm_pool.misses).toBeGreaterThanOrEqual(1);
    expect(health.warm_pool.hit_rate).toBeCloseTo(health.warm_pool.hits / (health.warm_pool.hits + health.warm_pool.misses), 6);
  });
});

describe('warm pool at shutdown', () => {
  it('leaves no process and no folder behind, even with an agent starting', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-warm-'));
    const other = await startTestService({ mode: 'serve', responder, env: { CCA_WARM_POOL: '2' }, dataDir });
    const warm = other.runtime.warm;
    if (warm === undefined) throw new Error('the warm pool is off');
    const [agent] = await waitFor('a ready agent', () => (warm.readySpares().length > 0 ? warm.readySpares() : undefined));
    const key = other.runtime.keys.create('k', { ratePerS: 1000, burst: 1000, dailyQuota: 1000 }).key;
    const used = await fetch(`${other.url}/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ prompt: PROMPT }),
    });
    const usedSession = ((await used.json()) as any).output.session_id as string;
    expect(usedSession).toBe(agent?.sessionId);
    // Its replacement is starting (or has just started) as the service stops.
    await waitFor('a replacement', () => warm.stats().starting + warm.stats().ready > 0);
    const pids = warm.readySpares().map((a) => a.pid);
    await other.close();
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(warm.stats()).toMatchObject({ ready: 0, starting: 0 });
    // The used session keeps its folders; no agent's are left.
    const sessions = fs.readdirSync(path.join(dataDir, 'sessions'));
    expect(sessions).toEqual([usedSession]);
    expect(fs.existsSync(path.join(dataDir, 'sessions', usedSession, 'warm-agent'))).toBe(false);
    fs.rmSync(dataDir, { recursive: true, force: true });
    // No bubblewrap (and nothing it started) of the stopped service is left. The first service's
    // agents are children of this process too: they are told apart by their pids, once it starts none.
    await waitFor('the first service to settle', () => pool().stats().starting === 0);
    const firstService = new Set(
      pool()
        .readySpares()
        .map((a) => String(a.pid)),
    );
    expect(bwrapChildren().filter((pid) => !firstService.has(pid))).toEqual([]);
  }, 90_000);

  it('removes, at start, the folders of agents a killed service left behind, and nothing else', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-warm-'));
    const left = path.join(dataDir, 'sessions', '7f1d2c3b-0000-4000-8000-00000000dead');
    fs.mkdirSync(path.join(left, 'workspace'), { recursive: true });
    fs.writeFileSync(path.join(left, 'warm-agent'), '');
    const kept = path.join(dataDir, 'sessions', 'not-a-warm-agent');
    fs.mkdirSync(path.join(kept, 'workspace'), { recursive: true });
    const restarted = await startTestService({ mode: 'serve', responder, env: { CCA_WARM_POOL: 'off' }, dataDir });
    try {
      expect(fs.existsSync(left)).toBe(false);
      expect(fs.existsSync(path.join(kept, 'workspace'))).toBe(true);
    } finally {
      await restarted.close();
    }
  });
});
