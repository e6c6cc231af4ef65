import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../store/migrations.js';
import { openDatabase, type Db } from '../store/index.js';
import { SpendLedger, type FinishedRun } from './ledger.js';
import { usageReport } from './report.js';
import type { KeyBudgets } from './budget.js';

const at = (iso: string) => Date.parse(iso);
const NOON = at('2025-01-31T12:00:00Z');
const NO_BUDGET: KeyBudgets = { dayUsd: null, monthUsd: null };
const TOKENS = { input_tokens: 1000, output_tokens: 100, cache_creation_input_tokens: 10, cache_read_input_tokens: 1 };

const dirs: string[] = [];
const dbs: Db[] = [];
function open(): Db {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cca-ledger-'));
  dirs.push(dir);
  const db = openDatabase(dir);
  dbs.push(db);
  return db;
}
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function admit(ledger: SpendLedger, id: string, nowMs: number, budgets = NO_BUDGET, requestedUsd = 1, keyId = 'key-a') {
  return ledger.admit({ invocationId: id, keyId, sessionId: `s-${id}`, requestedUsd, budgets }, nowMs);
}

describe('SpendLedger', () => {
  it('holds an admitted run at its budget, counts what it spends as it goes, and charges its end', () => {
    const finished: FinishedRun[] = [];
    const ledger = new SpendLedger(open(), { onFinished: (run) => finished.push(run) });
    const budgets = { dayUsd: 5, monthUsd: null };
    expect(admit(ledger, 'r1', NOON, budgets, 2)).toEqual({ kind: 'granted', capUsd: 2, limitedBy: 'request' });
    expect(ledger.standing('key-a', budgets, NOON)[0]).toMatchObject({ spentUsd: 0, committedUsd: 2, activeRuns: 1 });

    ledger.progress('r1', { costUsd: 0.5, usage: TOKENS, calls: 1 });
    expect(ledger.standing('key-a', budgets, NOON)[0]).toMatchObject({ spentUsd: 0.5, committedUsd: 2 });
    // A run past its budget holds what it spent.
    ledger.progress('r1', { costUsd: 2.5, usage: TOKENS, calls: 2 });
    expect(ledger.standing('key-a', budgets, NOON)[0]).toMatchObject({ spentUsd: 2.5, committedUsd: 2.5 });

    ledger.finish('r1', { status: 'succeeded', costUsd: 2.25, usage: TOKENS }, new Date(NOON + 1000));
    expect(ledger.standing('key-a', budgets, NOON)[0]).toMatchObject({ spentUsd: 2.25, committedUsd: 2.25, activeRuns: 0 });
    expect(ledger.reading('r1')).toEqual({ costUsd: 2.25, usage: TOKENS, calls: 2 });
    expect(finished).toEqual([
      { keyId: 'key-a', invocationId: 'r1', sessionId: 's-r1', status: 'succeeded', costUsd: 2.25, usage: TOKENS, day: '2025-01-31' },
    ]);
    // Ended once: a second end (or progress) changes nothing and reports nothing.
    ledger.finish('r1', { status: 'failed', costUsd: 9, usage: TOKENS }, new Date(NOON));
    ledger.progress('r1', { costUsd: 9, usage: TOKENS, calls: 9 });
    expect(ledger.reading('r1')?.costUsd).toBe(2.25);
    expect(finished).toHaveLength(1);
  });

  it('gives a second run only what the first does not hold, then says held, then exceeded', () => {
    const ledger = new SpendLedger(open());
    const budgets = { dayUsd: 1, monthUsd: null };
    expect(admit(ledger, 'r1', NOON, budgets, 0.75)).toMatchObject({ kind: 'granted', capUsd: 0.75 });
    expect(admit(ledger, 'r2', NOON, budgets, 0.75)).toMatchObject({ kind: 'granted', capUsd: 0.25, limitedBy: 'day' });
    expect(admit(ledger, 'r3', NOON, budgets, 0.75)).toMatchObject({ kind: 'held', standing: { activeRuns: 2 } });
    ledger.finish('r1', { status: 'succeeded', costUsd: 0.7, usage: TOKENS }, new Date(NOON));
    ledger.finish('r2', { status: 'failed', costUsd: 0.3, usage: TOKENS }, new Date(NOON));
    expect(admit(ledger, 'r4', NOON, budgets, 0.75)).toMatchObject({ kind: 'exceeded', standing: { period: 'day', spentUsd: 1 } });
    // Refused runs leave no row.
    expect(ledger.reading('r3')).toBeUndefined();
    expect(ledger.reading('r4')).toBeUndefined();
  });

  it('starts a new day at 00:00 UTC and a new month on the 1st (an injected clock, no waiting)', () => {
    const ledger = new SpendLedger(open());
    const budgets = { dayUsd: 1, monthUsd: 1.5 };
    admit(ledger, 'late', at('2025-01-31T23:59:59.999Z'), budgets, 1);
    ledger.finish('late', { status: 'succeeded', costUsd: 1, usage: TOKENS }, new Date(at('2025-02-01T00:10:00Z')));
    // Charged to the day it was admitted, though it ended the next day.
    expect(admit(ledger, 'same-day', at('2025-01-31T23:59:59.999Z'), budgets)).toMatchObject({
      kind: 'exceeded',
      standing: { period: 'day' },
    });
    expect(admit(ledger, 'next-day', at('2025-02-01T00:00:00.000Z'), budgets)).toMatchObject({ kind: 'granted', capUsd: 1 });
    ledger.finish('next-day', { status: 'succeeded', costUsd: 0.6, usage: TOKENS }, new Date(at('2025-02-01T01:00:00Z')));
    // Another January day: its own day is clear, January's month has $0.50 left; taken back.
    expect(admit(ledger, 'jan', at('2025-01-20T00:00:00Z'), budgets)).toMatchObject({ capUsd: expect.closeTo(0.5, 9), limitedBy: 'month' });
    ledger.forget('jan');
    // February: 0.6 of 1.5 spent this month, 0.6 of 1 today.
    expect(admit(ledger, 'feb', at('2025-02-01T02:00:00Z'), budgets)).toMatchObject({
      kind: 'granted',
      capUsd: expect.closeTo(0.4, 9),
      limitedBy: 'day',
    });
    ledger.finish('feb', { status: 'succeeded', costUsd: 0.4, usage: TOKENS }, new Date(at('2025-02-01T02:00:00Z')));
    expect(admit(ledger, 'feb-2', at('2025-02-02T00:00:00Z'), budgets)).toMatchObject({
      kind: 'granted',
      capUsd: expect.closeTo(0.5, 9),
      limitedBy: 'month',
    });
    ledger.finish('feb-2', { status: 'succeeded', costUsd: 0.5, usage: TOKENS }, new Date(at('2025-02-02T00:00:00Z')));
    expect(admit(ledger, 'feb-3', at('2025-02-03T00:00:00Z'), budgets)).toMatchObject({
      kind: 'exceeded',
      standing: { period: 'month', window: { endMs: at('2025-03-01T00:00:00Z') } },
    });
    expect(admit(ledger, 'march', at('2025-03-01T00:00:00Z'), budgets)).toMatchObject({ kind: 'granted', capUsd: 1 });
  });

  it('counts each key on its own', () => {
    const ledger = new SpendLedger(open());
    admit(ledger, 'a1', NOON, { dayUsd: 1, monthUsd: null }, 1, 'key-a');
    ledger.finish('a1', { status: 'succeeded', costUsd: 1, usage: TOKENS }, new Date(NOON));
    expect(admit(ledger, 'b1', NOON, { dayUsd: 1, monthUsd: null }, 1, 'key-b')).toMatchObject({ kind: 'granted', capUsd: 1 });
    expect(ledger.byKey('2025-01-31', '2025-01-31')).toEqual([
      expect.objectContaining({ key_id: 'key-a', runs: 1, cost_usd: 1, input_tokens: 1000 }),
      expect.objectContaining({ key_id: 'key-b', runs: 1, cost_usd: 0 }),
    ]);
  });

  it('reports days, outcomes, tokens and the budgets, with empty days as zeros', () => {
    const ledger = new SpendLedger(open());
    admit(ledger, 'd1', at('2025-01-29T10:00:00Z'));
    ledger.finish('d1', { status: 'succeeded', costUsd: 0.1, usage: TOKENS }, new Date(NOON));
    admit(ledger, 'd3a', NOON);
    ledger.finish('d3a', { status: 'timed_out', costUsd: 0.2, usage: TOKENS }, new Date(NOON));
    admit(ledger, 'd3b', NOON, NO_BUDGET, 3);
    ledger.progress('d3b', { costUsd: 0.05, usage: TOKENS, calls: 1 });
    const report = usageReport(ledger, 'key-a', { dayUsd: 4, monthUsd: null }, { from: '2025-01-28', to: '2025-01-31' }, NOON);
    expect(report.days.map((d) => [d.day, d.runs, d.cost_usd])).toEqual([
      ['2025-01-28', 0, 0],
      ['2025-01-29', 1, 0.1],
      ['2025-01-30', 0, 0],
      ['2025-01-31', 2, expect.closeTo(0.25, 12)],
    ]);
    expect(report.totals).toEqual({
      runs: 3,
      runs_by_outcome: { succeeded: 1, timed_out: 1, in_progress: 1 },
      cost_usd: expect.closeTo(0.35, 12),
      usage: { input_tokens: 3000, output_tokens: 300, cache_creation_input_tokens: 30, cache_read_input_tokens: 3 },
    });
    expect(report.budget.day).toEqual({
      window: '2025-01-31',
      budget_usd: 4,
      spent_usd: 0.25,
      held_usd: 2.95,
      remaining_usd: 0.8,
      active_runs: 1,
      resets_at: '2025-02-01T00:00:00.000Z',
    });
    expect(report.budget.month).toMatchObject({ window: '2025-01', budget_usd: null, remaining_usd: null, spent_usd: 0.35 });
  });

  it('settles at start-up: a row whose invocation ended takes its end, a row without an invocation goes', () => {
    const db = open();
    const ledger = new SpendLedger(db);
    db.prepare(`INSERT INTO sessions (id, created_at, updated_at) VALUES ('s-ended', 'x', 'x')`).run();
    db.prepare(
      `INSERT INTO invocations (id, session_id, started_at, ended_at, status, prompt, request_json, cost_usd)
       VALUES ('ended', 's-ended', 'x', '2025-01-31T12:00:01.000Z', 'succeeded', 'p', '{}', 0.4)`,
    ).run();
    admit(ledger, 'ended', NOON);
    ledger.progress('ended', { costUsd: 0.3, usage: TOKENS, calls: 1 });
    admit(ledger, 'never-recorded', NOON);
    expect(ledger.settle()).toBe(2);
    expect(db.prepare(`SELECT invocation_id, status, cost_usd, ended_at FROM run_spend`).all()).toEqual([
      { invocation_id: 'ended', status: 'succeeded', cost_usd: 0.4, ended_at: '2025-01-31T12:00:01.000Z' },
    ]);
  });
});

describe('the migration of the spend ledger', () => {
  it("fills the ledger from the keys' ended invocations, their cost and the tokens of their output", () => {
    const db = new Database(':memory:');
    // The migrations before the ledger's own (later ones may follow it).
    const ledgerMigration = MIGRATIONS.findIndex((sql) => sql.includes('CREATE TABLE run_spend'));
    for (const sql of MIGRATIONS.slice(0, ledgerMigration)) db.exec(sql);
    db.exec(
      `INSERT INTO api_keys (id, name, hash, created_at, rate_per_s, burst, daily_quota, max_concurrent) VALUES ('k1', 'k', x'00', 'x', 1, 1, 1, 1)`,
    );
    db.exec(`INSERT INTO sessions (id, created_at, updated_at, owner_key_id) VALUES ('s1', 'x', 'x', 'k1'), ('s2', 'x', 'x', NULL)`);
    const output = JSON.stringify({
      output: { usage: { input_tokens: 7, output_tokens: 8, cache_creation_input_tokens: 9, cache_read_input_tokens: 10 } },
    });
    db.prepare(
      `INSERT INTO invocations (id, session_id, started_at, ended_at, status, prompt, request_json, output_json, cost_usd) VALUES
         ('i1', 's1', '2025-01-02T03:04:05.000Z', '2025-01-02T03:05:00.000Z', 'succeeded', 'p', '{}', ?, 0.5),
         ('i2', 's1', '2025-01-03T00:00:00.000Z', NULL, 'running', 'p', '{}', NULL, NULL),
         ('i3', 's1', '2025-01-04T00:00:00.000Z', '2025-01-04T00:00:01.000Z', 'failed', 'p', '{}', 'not json', NULL),
         ('i4', 's2', '2025-01-04T00:00:00.000Z', '2025-01-04T00:00:01.000Z', 'failed', 'p', '{}', NULL, 0.1)`,
    ).run(output);
    db.exec(MIGRATIONS[ledgerMigration] as string);
    expect(
      db
        .prepare(
          'SELECT invocation_id, key_id, day, status, cost_usd, input_tokens, cache_read_input_tokens FROM run_spend ORDER BY invocation_id',
        )
        .all(),
    ).toEqual([
      {
        invocation_id: 'i1',
        key_id: 'k1',
        day: '2025-01-02',
        status: 'succeeded',
        cost_usd: 0.5,
        input_tokens: 7,
        cache_read_input_tokens: 10,
      },
      { invocation_id: 'i3', key_id: 'k1', day: '2025-01-04', status: 'failed', cost_usd: 0, input_tokens: 0, cache_read_input_tokens: 0 },
    ]);
    db.close();
  });
});
