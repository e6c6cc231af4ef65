/**
 * A request that cannot use a warm agent, or is refused after admission took one, must not cost
 * the service a Claude Code start, and must not count as a hit.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/logging/index.js';
import { scenarios } from '../support/model-server.js';
import { startTestService, type TestService } from '../support/service.js';
import { waitFor } from '../support/wait-for.js';
import { BENCH_SCRIPT, PROMPT } from '../../bench/task.js';

const responder = scenarios({ bench: BENCH_SCRIPT });
let svc: TestService;

beforeAll(async () => {
  const logger = pino({ level: 'warn' }, process.stderr) as unknown as Logger;
  svc = await startTestService({ mode: 'serve', responder, env: { CCA_WARM_POOL: '2' }, logger });
}, 60_000);
afterAll(async () => {
  await svc?.close();
});

describe('warm pool: requests that cannot use an agent', () => {
  it('does not start a Claude Code for each request refused after it took an agent', async () => {
    const warm = svc.runtime.warm!;
    const key = svc.runtime.keys.create('tight', { ratePerS: 1000, burst: 1000, dailyQuota: 100_000, maxConcurrent: 1, maxQueued: 0 }).key;
    const isDefault = (s: { shape: { permissionMode: string; maxTurns: number } }) =>
      s.shape.permissionMode === 'acceptEdits' && s.shape.maxTurns === svc.config.limits.defaultMaxTurns;
    await waitFor('a ready default agent', () => warm.readySpares().find(isDefault));
    // Holds the key's one slot: it waits for an approval nobody gives.
    const held = await fetch(`${svc.url}/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ prompt: PROMPT, permission_mode: 'manual', async: true, max_turns: 3, approval_timeout_s: 60 }),
    });
    expect(held.status).toBe(202);
    await new Promise((r) => setTimeout(r, 1500));
    await waitFor('a ready default agent', () => warm.readySpares().find(isDefault));
    const seen = new Set<string>();
    const watch = setInterval(() => {
      for (const s of warm.readySpares()) if (isDefault(s)) seen.add(s.sessionId);
    }, 20);
    const hitsBefore = warm.stats().hits;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${svc.url}/invoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify({ prompt: PROMPT }),
      });
      statuses.push(res.status);
      await new Promise((r) => setTimeout(r, 700));
    }
    clearInterval(watch);
    expect(statuses).toEqual([429, 429, 429, 429, 429, 429]);
    // Nothing ran: the ready agent was enough, and no request was a hit.
    expect({ hits: warm.stats().hits - hitsBefore, distinctDefaultAgents: seen.size }).toEqual({ hits: 0, distinctDefaultAgents: 1 });
    await fetch(`${svc.url}/sessions/${((await held.json()) as any).session_id}/cancel`, { method: 'POST', headers: { 'x-api-key': key } });
  }, 90_000);
  it('keeps its ready agent for a request of a key whose budget is below the max_budget_usd of the shape (the run is cold anyway)', async () => {
    const warm = svc.runtime.warm!;
    const key = svc.runtime.keys.create('frugal', { ratePerS: 1000, burst: 1000, dailyQuota: 100_000, budgetUsdDay: 1 }).key;
    const isDefault = (s: { shape: { permissionMode: string; maxTurns: number } }) =>
      s.shape.permissionMode === 'acceptEdits' && s.shape.maxTurns === svc.config.limits.defaultMaxTurns;
    const ready = await waitFor('a ready default agent', () => warm.readySpares().find(isDefault));
    const hitsBefore = warm.stats().hits;
    const res = await fetch(`${svc.url}/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ prompt: PROMPT }),
    });
    const body = (await res.json()) as any;
    expect(res.status).toBe(200);
    // The run could not use the agent (started with max_budget_usd 5, the key has 1 left): it ran cold...
    expect(body.output.metadata.warm_start).toBe(false);
    // ...yet the agent was taken (its session id given to this run), ended, and counted as a hit.
    expect({ session: body.output.session_id === ready.sessionId, hits: warm.stats().hits - hitsBefore }).toEqual({
      session: false,
      hits: 0,
    });
  }, 90_000);

  it('gives the agent back, untouched and uncounted, when the service refuses the request after taking it (a full queue: 503)', async () => {
    const busy = await startTestService({
      mode: 'serve',
      responder,
      model: svc.model,
      env: { CCA_WARM_POOL: '2', CCA_MAX_RUNS: '1', CCA_MAX_QUEUE: '0' },
    });
    try {
      const warm = busy.runtime.warm!;
      const key = busy.runtime.keys.create('k', { ratePerS: 1000, burst: 1000, dailyQuota: 100_000 }).key;
      const post = (body: unknown) =>
        fetch(`${busy.url}/invoke`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': key },
          body: JSON.stringify(body),
        });
      // The service's one slot is held by a run waiting for an approval nobody gives.
      const held = await post({ prompt: PROMPT, permission_mode: 'manual', async: true, max_turns: 3, approval_timeout_s: 60 });
      expect(held.status).toBe(202);
      const agent = await waitFor('a ready default agent', () =>
        warm.readySpares().find((s) => s.shape.maxTurns === busy.config.limits.defaultMaxTurns),
      );
      // A busy service does not keep a request from taking an agent; the full queue then refuses it.
      const refused = await post({ prompt: PROMPT });
      expect(refused.status).toBe(503);
      expect(warm.readySpares()).toContain(agent);
      expect(warm.stats()).toMatchObject({ hits: 0, starting: 0 });
      await fetch(`${busy.url}/sessions/${((await held.json()) as any).session_id}/cancel`, {
        method: 'POST',
        headers: { 'x-api-key': key },
      });
    } finally {
      await busy.close();
    }
  }, 90_000);
});
