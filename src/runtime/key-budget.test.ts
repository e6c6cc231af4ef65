import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BudgetExceededError, BudgetHeldError, toErrorResponse } from '../errors/index.js';
import { outcomeWithoutRun, type RunOutcome } from '../runner/index.js';
import { openDatabase, type Db } from '../store/index.js';
import { RunMeter, SpendLedger } from '../usage/index.js';
import { admitBudget, budgetObserver, budgetReport, budgetStop, chargedOutcome, meterFor, type SpendDeps } from './key-budget.js';

const NOW = Date.parse('2025-01-31T23:00:00Z');
const TOKENS = { input_tokens: 1, output_tokens: 2, cache_creation_input_tokens: 3, cache_read_input_tokens: 4 };

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

function spend(now = NOW): SpendDeps & { db: Db } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cca-budget-'));
  const db = openDatabase(dir);
  cleanup.push(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { ledger: new SpendLedger(db), now: () => now, db };
}

const run = (id: string, budgets: { dayUsd: number | null; monthUsd: number | null } | undefined, requestedUsd = 5) => ({
  invocationId: id,
  keyId: 'key-a',
  sessionId: 's',
  budgets,
  requestedUsd,
});

describe('admitBudget', () => {
  it('counts nothing for a run that is no key’s, and records every run of a key, budget or not', () => {
    const deps = spend();
    expect(admitBudget(deps, { ...run('r0', undefined), keyId: undefined })).toBeUndefined();
    expect(admitBudget(undefined, run('r1', undefined))).toBeUndefined();
    expect(admitBudget(deps, run('r1', undefined))).toMatchObject({ capUsd: 5, limitedBy: 'request' });
    expect(deps.ledger.reading('r1')).toBeDefined();
  });

  it('gives the remainder and refuses with 402, the limit, what was spent, the reset time and Retry-After', () => {
    const deps = spend();
    const budgets = { dayUsd: 1, monthUsd: 20 };
    expect(admitBudget(deps, run('r1', budgets))).toMatchObject({ capUsd: 1, limitedBy: 'day', standing: { period: 'day' } });
    deps.ledger.finish('r1', { status: 'succeeded', costUsd: 1.02, usage: TOKENS }, new Date(NOW));
    let thrown: unknown;
    try {
      admitBudget(deps, run('r2', budgets));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(BudgetExceededError);
    const { status, body, headers } = toErrorResponse(thrown);
    expect(status).toBe(402);
    expect(headers).toEqual({ 'Retry-After': '3600' });
    expect(body).toEqual({
      message: expect.stringMatching(
        /spent \$1\.02 of its daily budget of \$1\.00 .*resets at 2025-02-01T00:00:00\.000Z \(in 3600 s\).*--budget-usd-day/,
      ),
      code: 'budget_exceeded',
      retry_after_s: 3600,
      limit: 'day',
      budget_usd: 1,
      spent_usd: 1.02,
      resets_at: '2025-02-01T00:00:00.000Z',
    });
    expect(deps.ledger.reading('r2')).toBeUndefined();
  });

  it('answers 429 budget_held while runs in progress hold what is left', () => {
    const deps = spend();
    const budgets = { dayUsd: null, monthUsd: 2 };
    admitBudget(deps, run('r1', budgets, 2));
    expect(() => admitBudget(deps, run('r2', budgets, 2))).toThrow(BudgetHeldError);
    try {
      admitBudget(deps, run('r2', budgets, 2));
    } catch (err) {
      expect(toErrorResponse(err)).toMatchObject({
        status: 429,
        headers: { 'Retry-After': '10' },
        body: { code: 'budget_held', limit: 'month', held_usd: 2, active_runs: 1, resets_at: '2025-02-01T00:00:00.000Z' },
      });
    }
  });
});

function outcome(fields: Partial<RunOutcome>): RunOutcome {
  return { ...outcomeWithoutRun('error', 'x'), success: true, stopReason: 'completed', result: 'ok', errors: [], ...fields };
}

describe('what a run is charged', () => {
  it("keeps Claude Code's figure when the meter agrees, and takes the meter's when no result came or it counted more", () => {
    const meter = new RunMeter();
    meter.record(1, 'claude-haiku-4-5', { input_tokens: 300_100, output_tokens: 3_020 });
    const reported = outcome({ costUsd: 0.3152, costReported: true, usage: { ...TOKENS } });
    expect(chargedOutcome(reported, meter)).toBe(reported);
    expect(chargedOutcome(reported, undefined)).toBe(reported);
    const cancelled = outcome({ stopReason: 'cancelled', costReported: false });
    expect(chargedOutcome(cancelled, meter)).toMatchObject({
      costUsd: expect.closeTo(0.3152, 12),
      usage: { input_tokens: 300_100, output_tokens: 3_020 },
    });
    // A forged or partial result: the broker saw more than Claude Code says.
    const forged = outcome({ costUsd: 0, costReported: true });
    expect(chargedOutcome(forged, meter)).toMatchObject({ costUsd: expect.closeTo(0.3152, 12), costReported: false });
  });

  it('says when the key’s budget, not the request’s, stopped the run', () => {
    const deps = spend();
    const budget = admitBudget(deps, run('r1', { dayUsd: 0.25, monthUsd: null }))!;
    const stopped = outcome({ success: false, stopReason: 'max_budget', errors: ['Stopped: reached max_budget_usd before finishing.'] });
    const { outcome: said, errorCode } = budgetStop(stopped, budget);
    expect(errorCode).toBe('key_budget_day');
    expect(said.result).toMatch(/daily budget of \$0\.25 ran out.*\(\$0\.25\).*resets at 2025-02-01T00:00:00\.000Z/);
    expect(said.errors).toEqual([said.result]);
    expect(budgetReport(budget)).toEqual({ max_budget_usd: 0.25, limited_by: 'key_day' });
    // The request's own budget: nothing to add; a key without a budget reports none.
    const own = admitBudget(deps, run('r2', { dayUsd: 100, monthUsd: null }, 1))!;
    expect(budgetStop(stopped, own)).toEqual({ outcome: stopped });
    expect(budgetReport(own)).toEqual({ max_budget_usd: 1, limited_by: 'request' });
    expect(budgetReport(admitBudget(deps, run('r3', undefined)))).toBeUndefined();
  });
});

describe('the meter at the broker', () => {
  it('writes what a key’s run spends as it goes, and stops the run at its budget at its next call', () => {
    const deps = spend();
    const budget = admitBudget(deps, run('r1', { dayUsd: 0.2, monthUsd: null }))!;
    const meter = meterFor(deps, 'r1', budget, 5);
    const controller = new AbortController();
    const observer = budgetObserver(meter, controller);
    observer.onUsage(1, 'claude-haiku-4-5', { input_tokens: 150_000, output_tokens: 1 });
    expect(deps.ledger.reading('r1')?.costUsd).toBeCloseTo(0.150005, 9);
    expect(observer.refusal()).toBeUndefined();
    observer.onUsage(1, 'claude-haiku-4-5', { input_tokens: 150_000, output_tokens: 10_000 });
    expect(observer.refusal()).toMatch(/^This run has spent its budget \(max_budget_usd \$0\.20\)/);
    expect(controller.signal.reason).toEqual({
      stopReason: 'max_budget',
      message: expect.stringMatching(/^Stopped: the run spent its budget/),
    });
  });
});
