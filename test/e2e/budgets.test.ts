/**
 * Spending limits per key, with the real Claude Code against the scripted model: every main model
 * call reports 100,000 input and 1,000 output tokens, $0.105 at Claude Haiku 4.5's list price, so
 * a budget of cents is spent in a few turns. The service's clock is frozen at noon UTC on a known
 * day (budgets and Retry-After are exact; the day boundary itself is the ledger's unit test).
 * Then a `cca serve` killed in the middle of a run: the next start charges what the meter counted.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listening, SERVE_BANNER_END } from '../support/cca-banner.js';
import {
  assistantTurns,
  scenarioOf,
  scenarios,
  startModelServer,
  text,
  toolUse,
  userTexts,
  type ModelServer,
  type Reply,
} from '../support/model-server.js';
import { scrapeMetrics } from '../support/prometheus.js';
import { startTestService, type TestService } from '../support/service.js';
import { parseSseStream } from '../support/sse.js';

const sh = promisify(execFile);
const CCA = path.resolve(import.meta.dirname, '../../bin/cca');
const METRICS_TOKEN = 'e2e-budgets-metrics-token-0123456789';
const MODEL = 'claude-haiku-4-5';
/** One main call: $0.10 of input and $0.005 of output at $1/$5 per million tokens. */
const BIG = { input_tokens: 100_000, output_tokens: 1_000 };
const CALL_USD = 0.105;
/** What Claude Code's own helper calls (the scripted model's default usage) cost, at most, in one run. */
const SIDE_USD = 0.001;
const NOON = Date.parse('2030-01-15T12:00:00.000Z');
const MIDNIGHT = '2030-01-16T00:00:00.000Z';

/** Six model calls straight to the broker with the run's token, as any program in the run could make. */
const STEAL =
  `for i in 1 2 3 4 5 6; do curl -s --noproxy '*' -X POST "$ANTHROPIC_BASE_URL/v1/messages" -H "x-api-key: $ANTHROPIC_API_KEY" ` +
  `-H 'content-type: application/json' -H 'anthropic-version: 2023-06-01' ` +
  `-d '{"model":"${'claude-haiku-4-5'}","max_tokens":5,"messages":[{"role":"user","content":"stolen-call"}]}' -o /dev/null -w '%{http_code} '; done`;
const tool = (turn: number): Reply => ({ content: [toolUse('Bash', { command: `echo step ${turn}`, description: 'a step' })], usage: BIG });
const responder = scenarios({
  short: [{ content: [text('Done in one.')], usage: BIG }],
  long: (_req, turn) => (turn < 12 ? tool(turn) : { content: [text('All twelve steps done.')], usage: BIG }),
  // Two calls, then the model never answers: the run is in the middle of its work.
  hang: (_req, turn) => (turn < 2 ? tool(turn) : { hang: true }),
  // A run that calls the model itself with its run token, behind Claude Code's back (Claude Code counts none of it).
  thief: [
    { content: [toolUse('Bash', { command: STEAL, description: 'call the model directly' })], usage: BIG },
    { content: [text('done')] },
  ],
});

let model: ModelServer;
let svc: TestService;
beforeAll(async () => {
  // The stolen calls are priced like the agent's own.
  model = await startModelServer((req) =>
    userTexts(req.body).some((t) => t.includes('stolen-call')) ? { content: [text('ok')], usage: BIG } : responder(req),
  );
  svc = await startTestService({ mode: 'serve', model, now: () => NOON, env: { CCA_METRICS_TOKEN: METRICS_TOKEN } });
});
afterAll(async () => {
  await svc?.close();
  await model?.close();
});

function newKey(name: string, budgets: { budgetUsdDay?: number; budgetUsdMonth?: number } = {}): string {
  return svc.runtime.keys.create(name, { ratePerS: 1000, burst: 1000, dailyQuota: 100_000, ...budgets }).key;
}

async function call(url: string, key: string, route: string, body?: unknown) {
  const res = await fetch(`${url}${route}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

const invoke = (key: string, scenario: string, extra: Record<string, unknown> = {}) =>
  call(svc.url, key, '/invoke', { prompt: `[[scenario:${scenario}]] go`, model: MODEL, ...extra });

/** The output of the session's invocation once it has ended, from its event stream. */
async function finalOutput(url: string, key: string, sessionId: string): Promise<any> {
  const res = await fetch(`${url}/sessions/${sessionId}/events`, { headers: { 'x-api-key': key }, signal: AbortSignal.timeout(60_000) });
  for await (const message of parseSseStream(res.body!)) {
    const event = JSON.parse(message.data);
    if (event.type === 'invocation.completed') return event.data.output.output;
  }
  throw new Error(`no invocation.completed in session ${sessionId}`);
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

const sumUsage = (outputs: any[]) =>
  outputs.reduce(
    (sum, o) => ({
      input_tokens: sum.input_tokens + o.usage.input_tokens,
      output_tokens: sum.output_tokens + o.usage.output_tokens,
      cache_creation_input_tokens: sum.cache_creation_input_tokens + o.usage.cache_creation_input_tokens,
      cache_read_input_tokens: sum.cache_read_input_tokens + o.usage.cache_read_input_tokens,
    }),
    { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  );

describe('a key with a daily budget', () => {
  it("stops a run when what is left of the key's budget is spent, says so, and refuses the next with 402 until midnight UTC", async () => {
    const key = newKey('daily', { budgetUsdDay: 0.5 });
    const first = (await invoke(key, 'short')).body.output;
    expect(first).toMatchObject({ success: true, stop_reason: 'completed', cost_source: 'claude_code' });
    expect(first.budget).toEqual({ max_budget_usd: 0.5, limited_by: 'key_day' });
    expect(first.cost_usd).toBeGreaterThanOrEqual(CALL_USD);

    const before = model.requests.length;
    const second = (await invoke(key, 'long')).body.output;
    const left = 0.5 - first.cost_usd;
    expect(second).toMatchObject({ success: false, stop_reason: 'max_budget', error_code: 'key_budget_day', cost_source: 'claude_code' });
    expect(second.budget).toEqual({ max_budget_usd: expect.closeTo(left, 9), limited_by: 'key_day' });
    expect(second.result).toMatch(/^Stopped: this API key's daily budget of \$0\.50 ran out\..*resets at 2030-01-16T00:00:00\.000Z\.$/);
    // Claude Code stopped it itself, at the remainder it was given as max_budget_usd (not the broker's backstop).
    expect(second.errors).toEqual([second.result, expect.stringMatching(/^Reached maximum budget \(\$0\.39\d*\)$/)]);
    // It went on until it had spent what it was given, and stopped within one model call past it.
    expect(second.cost_usd).toBeGreaterThanOrEqual(second.budget.max_budget_usd);
    expect(second.cost_usd).toBeLessThan(second.budget.max_budget_usd + CALL_USD + SIDE_USD);
    const mainCalls = model.requests.slice(before).filter((r) => r.kind === 'main' && scenarioOf(r.body) === 'long');
    expect(mainCalls.length).toBe(Math.ceil(left / CALL_USD));
    expect(mainCalls.every((r) => assistantTurns(r.body) < 12)).toBe(true);

    const refusals = async () =>
      (await scrapeMetrics(svc.url, METRICS_TOKEN)).sum('cca_budget_refusals_total', { period: 'day', reason: 'exceeded' });
    const refusalsBefore = await refusals();
    const refused = await invoke(key, 'short');
    expect(refused.status).toBe(402);
    expect(await refusals()).toBe(refusalsBefore + 1);
    expect(refused.headers.get('retry-after')).toBe('43200');
    expect(refused.body).toEqual({
      message: expect.stringMatching(
        /^This API key has spent \$0\.\d+ of its daily budget of \$0\.50 \(2030-01-15, UTC\), so no run starts until the budget resets at 2030-01-16T00:00:00\.000Z \(in 43200 s\)/,
      ),
      code: 'budget_exceeded',
      retry_after_s: 43200,
      limit: 'day',
      budget_usd: 0.5,
      spent_usd: expect.closeTo(first.cost_usd + second.cost_usd, 6),
      resets_at: MIDNIGHT,
    });

    // /usage adds up to what the runs reported, and it is a read: the refusal above recorded nothing.
    const usage = (await call(svc.url, key, '/usage?days=1')).body;
    expect(usage).toMatchObject({ from: '2030-01-15', to: '2030-01-15', timezone: 'UTC' });
    expect(usage.totals).toEqual({
      runs: 2,
      runs_by_outcome: { succeeded: 1, failed: 1 },
      cost_usd: expect.closeTo(first.cost_usd + second.cost_usd, 12),
      usage: sumUsage([first, second]),
    });
    expect(usage.days).toEqual([{ day: '2030-01-15', ...usage.totals }]);
    expect(usage.budget.day).toEqual({
      window: '2030-01-15',
      budget_usd: 0.5,
      spent_usd: expect.closeTo(first.cost_usd + second.cost_usd, 6),
      held_usd: 0,
      remaining_usd: 0,
      active_runs: 0,
      resets_at: MIDNIGHT,
    });
    expect(usage.budget.month).toMatchObject({
      window: '2030-01',
      budget_usd: null,
      remaining_usd: null,
      resets_at: '2030-02-01T00:00:00.000Z',
    });
  });

  it('leaves a key under its budget, or without one, as it was: the request’s max_budget_usd and nothing else', async () => {
    const roomy = (await invoke(newKey('roomy', { budgetUsdDay: 100, budgetUsdMonth: 1000 }), 'short', { max_budget_usd: 2 })).body.output;
    expect(roomy).toMatchObject({ success: true, stop_reason: 'completed', budget: { max_budget_usd: 2, limited_by: 'request' } });
    expect(roomy).not.toHaveProperty('error_code');
    const keyFree = newKey('free');
    const free = (await invoke(keyFree, 'short')).body.output;
    expect(free).toMatchObject({ success: true, cost_source: 'claude_code' });
    expect(free).not.toHaveProperty('budget');
    // Counted all the same: its usage is there.
    const usage = (await call(svc.url, keyFree, '/usage')).body;
    expect(usage.totals).toMatchObject({ runs: 1, cost_usd: free.cost_usd, usage: free.usage });
    expect(usage.days).toHaveLength(30);
    expect(usage.budget.day).toMatchObject({ budget_usd: null, remaining_usd: null, spent_usd: expect.closeTo(free.cost_usd, 6) });
  });

  it('holds each run’s budget while it runs: side-by-side runs are given only what is left, and a third waits (429 budget_held)', async () => {
    const key = newKey('parallel', { budgetUsdDay: 0.5 });
    const a = await invoke(key, 'long', { max_budget_usd: 0.3, async: true });
    const b = await invoke(key, 'long', { max_budget_usd: 0.3, async: true });
    expect([a.status, b.status]).toEqual([202, 202]);
    const c = await invoke(key, 'short', { async: true });
    expect(c.status).toBe(429);
    expect(c.headers.get('retry-after')).toBe('10');
    expect(c.body).toMatchObject({ code: 'budget_held', limit: 'day', active_runs: 2, held_usd: expect.any(Number) });
    expect(c.body.message).toMatch(/held by its 2 run\(s\) in progress.*send a smaller max_budget_usd/);

    const outputs = [await finalOutput(svc.url, key, a.body.session_id), await finalOutput(svc.url, key, b.body.session_id)];
    expect(outputs.map((o) => o.budget)).toEqual([
      { max_budget_usd: 0.3, limited_by: 'request' },
      { max_budget_usd: expect.closeTo(0.2, 9), limited_by: 'key_day' },
    ]);
    expect(outputs.map((o) => o.stop_reason)).toEqual(['max_budget', 'max_budget']);
    expect(outputs.map((o) => o.errors.at(-1))).toEqual([
      expect.stringMatching(/^Reached maximum budget \(\$0\.3\)$/),
      expect.stringMatching(/^Reached maximum budget \(\$0\.2\d*\)$/),
    ]);
    // The bound README states: the budget, plus at most one model call per run past its own share.
    const total = outputs[0].cost_usd + outputs[1].cost_usd;
    expect(total).toBeGreaterThanOrEqual(0.5);
    expect(total).toBeLessThan(0.5 + 2 * (CALL_USD + SIDE_USD));
    const usage = (await call(svc.url, key, '/usage?days=1')).body;
    expect(usage.totals.cost_usd).toBeCloseTo(total, 12);
    expect(usage.totals.usage).toEqual(sumUsage(outputs));
    expect((await invoke(key, 'short')).status).toBe(402);
  });

  it('meters model calls the run makes itself with its token, stops the run at its budget, and charges them', async () => {
    const key = newKey('thief', { budgetUsdDay: 0.5 });
    const before = model.requests.length;
    const output = (await invoke(key, 'thief', { permission_mode: 'acceptAll' })).body.output;
    const stolen = model.requests.slice(before).filter((r) => userTexts(r.body).some((t) => t.includes('stolen-call')));
    // Claude Code's call and its helper's, then four of the six: the meter reached $0.50 and the broker refused the rest.
    expect(stolen).toHaveLength(4);
    expect(output).toMatchObject({ success: false, stop_reason: 'max_budget', error_code: 'key_budget_day', cost_source: 'service_meter' });
    expect(output.cost_usd).toBeGreaterThanOrEqual(0.5);
    expect(output.cost_usd).toBeLessThan(0.5 + CALL_USD + SIDE_USD);
    expect(output.cost_usd).toBeGreaterThanOrEqual(5 * CALL_USD);
    const refused = await invoke(key, 'short');
    expect(refused.status).toBe(402);
    expect(refused.body.spent_usd).toBeCloseTo(output.cost_usd, 6);
  });

  it('counts what a run spends as it streams, and charges a cancelled run what it spent', async () => {
    const key = newKey('cancelled', { budgetUsdMonth: 10 });
    const started = await invoke(key, 'hang', { async: true });
    expect(started.status).toBe(202);
    const live = await waitFor('the first two calls counted while the run goes on', async () => {
      const { budget } = (await call(svc.url, key, '/usage?days=1')).body;
      return budget.month.active_runs === 1 && budget.month.spent_usd >= 2 * CALL_USD ? budget.month : undefined;
    });
    expect(live).toMatchObject({ budget_usd: 10, held_usd: expect.any(Number), remaining_usd: expect.any(Number) });
    expect(live.spent_usd + live.held_usd).toBeCloseTo(5, 6); // the run holds its max_budget_usd, 5 by default

    expect((await call(svc.url, key, `/sessions/${started.body.session_id}/cancel`, {})).status).toBe(202);
    const output = await finalOutput(svc.url, key, started.body.session_id);
    expect(output).toMatchObject({ stop_reason: 'cancelled', cost_source: 'service_meter' });
    // Two answered calls, and the one the run was waiting on when cancelled: its prompt's input, at 3 bytes a token.
    const hung = model.requests.filter((r) => r.kind === 'main' && scenarioOf(r.body) === 'hang').at(-1)!;
    const hungUsd = Math.ceil(Number(hung.headers['content-length']) / 3) / 1e6;
    expect(output.cost_usd).toBeGreaterThanOrEqual(2 * CALL_USD + hungUsd - 1e-6);
    expect(output.cost_usd).toBeLessThan(2 * CALL_USD + SIDE_USD + hungUsd);
    expect(output.usage.input_tokens).toBeGreaterThanOrEqual(200_000);
    const usage = (await call(svc.url, key, '/usage?days=1')).body;
    expect(usage.totals).toMatchObject({ runs: 1, runs_by_outcome: { cancelled: 1 }, cost_usd: output.cost_usd, usage: output.usage });
    const detail = (await call(svc.url, key, `/sessions/${started.body.session_id}`)).body;
    expect(detail.invocations[0].cost_usd).toBe(output.cost_usd);
  });
});

describe('a cca serve killed in the middle of a run', () => {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    }
    await Promise.all(dirs.splice(0).map((dir) => fs.rm(dir, { recursive: true, force: true })));
  });

  const env = () => ({ PATH: process.env.PATH, ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'sk-test', CCA_MODEL_MAX_RETRIES: '0' });
  async function serve(dir: string) {
    const child = spawn(CCA, ['serve', '--port', '0', '--data-dir', dir, '--log-level', 'warn'], {
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.push(child);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const { url } = await listening(child, SERVE_BANNER_END);
    return { child, url, exited };
  }

  it('charges the run what its meter had counted at the next start, and cca usage shows it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-budgets-e2e-'));
    dirs.push(dir);
    const created = await sh(CCA, ['keys', 'create', '--name', 'crash', '--budget-usd-day', '3', '--json', '--data-dir', dir], {
      env: env(),
    });
    const { key } = JSON.parse(created.stdout) as { key: string };
    const first = await serve(dir);
    const started = await call(first.url, key, '/invoke', { prompt: '[[scenario:hang]] go', model: MODEL, async: true });
    expect(started.status).toBe(202);
    const spent = await waitFor('the first two calls counted', async () => {
      const { budget } = (await call(first.url, key, '/usage?days=1')).body;
      return budget.day.spent_usd >= 2 * CALL_USD ? (budget.day.spent_usd as number) : undefined;
    });
    process.kill(first.child.pid!, 'SIGKILL');
    expect(await first.exited).toBeNull();

    const second = await serve(dir);
    const detail = (await call(second.url, key, `/sessions/${started.body.session_id}`)).body;
    expect(detail.invocations[0]).toMatchObject({ status: 'interrupted', stop_reason: 'interrupted' });
    const charged = detail.invocations[0].cost_usd as number;
    expect(charged).toBeCloseTo(spent, 6);
    expect(detail.invocations[0].usage.input_tokens).toBeGreaterThanOrEqual(200_000);

    const shown = await sh(CCA, ['usage', '--days', '1', '--json', '--endpoint', second.url, '--api-key', key], { env: env() });
    const usage = JSON.parse(shown.stdout);
    expect(usage.totals).toMatchObject({ runs: 1, runs_by_outcome: { interrupted: 1 }, cost_usd: charged });
    expect(usage.budget.day).toMatchObject({ budget_usd: 3, active_runs: 0, held_usd: 0, spent_usd: expect.closeTo(charged, 6) });
    const table = await sh(CCA, ['usage', '--days', '1', '--endpoint', second.url, '--api-key', key], { env: env() });
    expect(table.stdout).toMatch(/^TOTAL +1 +0 +0 +1 /m);
    expect(table.stdout).toContain('OTHER: 1 interrupted.');
    const all = await sh(CCA, ['usage', '--all-keys', '--days', '1', '--data-dir', dir], { env: env() });
    expect(all.stdout).toMatch(/ crash +active +1 +\d+ +\d+ +0\.2\d+ +0\.2\d+\/3\.00 +0\.2\d+\/- *$/m);
  });
});
