/**
 * The spend ledger (table `run_spend`): one row per run of an API key, charged to the UTC day it
 * was admitted in. A run is `active` from admission (holding its max_budget_usd) while the meter
 * writes what it has spent so far; when it ends, the row takes its final status, cost and tokens.
 * Budgets are decided against it in one transaction with the row's insert, and `/usage` reads it.
 */
import type { Db } from '../store/index.js';
import type { TokenUsage } from '../schemas/responses.js';
import { decideBudget, type BudgetDecision, type KeyBudgets, type WindowStanding } from './budget.js';
import type { MeterReading } from './meter.js';
import { budgetWindows, utcDay } from './windows.js';

/** A run as it ended, for whoever counts runs (metrics). */
export interface FinishedRun {
  keyId: string;
  invocationId: string;
  sessionId: string;
  /** The invocation's final status: succeeded, failed, timed_out, cancelled, interrupted. */
  status: string;
  costUsd: number;
  usage: TokenUsage;
  /** The UTC day it is charged to. */
  day: string;
}

/** One day of a key's runs with one status. */
export interface SpendGroup {
  day: string;
  /** `active` (queued or running) or the final status. */
  status: string;
  runs: number;
  cost_usd: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** The totals of one key over some days. */
export interface KeySpend extends Omit<SpendGroup, 'day' | 'status'> {
  key_id: string;
}

/** A run being admitted. */
export interface RunToAdmit {
  invocationId: string;
  keyId: string;
  sessionId: string;
  /** The max_budget_usd the request asked for (already within the key's caps). */
  requestedUsd: number;
  budgets: KeyBudgets;
}

const SUMS = `count(*) AS runs, total(cost_usd) AS cost_usd, coalesce(sum(input_tokens), 0) AS input_tokens,
  coalesce(sum(output_tokens), 0) AS output_tokens, coalesce(sum(cache_creation_input_tokens), 0) AS cache_creation_input_tokens,
  coalesce(sum(cache_read_input_tokens), 0) AS cache_read_input_tokens`;

/**
 * Records and reads what API keys spend.
 * @example const decision = ledger.admit({ invocationId, keyId, sessionId, requestedUsd: 5, budgets }, Date.now());
 */
export class SpendLedger {
  private readonly stmts;
  private readonly admitTx;

  constructor(
    db: Db,
    private readonly opts: { onFinished?: ((run: FinishedRun) => void) | undefined } = {},
  ) {
    this.stmts = {
      window: db.prepare<[string, string, string], { ended: number; streaming: number; held: number; active: number }>(
        `SELECT total(CASE WHEN status != 'active' THEN cost_usd END) AS ended,
                total(CASE WHEN status = 'active' THEN cost_usd END) AS streaming,
                total(CASE WHEN status = 'active' THEN max(cost_usd, coalesce(max_budget_usd, 0)) END) AS held,
                count(CASE WHEN status = 'active' THEN 1 END) AS active
           FROM run_spend WHERE key_id = ? AND day >= ? AND day <= ?`,
      ),
      insert: db.prepare(
        `INSERT INTO run_spend (invocation_id, key_id, session_id, day, admitted_at, status, max_budget_usd, limited_by)
         VALUES (?, ?, ?, ?, ?, 'active', ?, ?)`,
      ),
      progress: db.prepare(
        `UPDATE run_spend SET cost_usd = ?, input_tokens = ?, output_tokens = ?, cache_creation_input_tokens = ?,
                cache_read_input_tokens = ?, model_calls = ? WHERE invocation_id = ? AND status = 'active'`,
      ),
      finish: db.prepare(
        `UPDATE run_spend SET status = ?, ended_at = ?, cost_usd = ?, input_tokens = ?, output_tokens = ?,
                cache_creation_input_tokens = ?, cache_read_input_tokens = ?, model_calls = max(model_calls, ?)
          WHERE invocation_id = ? AND status = 'active'
          RETURNING key_id, session_id, day`,
      ),
      get: db.prepare<[string], MeterRow>(
        `SELECT cost_usd, input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens, model_calls
           FROM run_spend WHERE invocation_id = ?`,
      ),
      forget: db.prepare(`DELETE FROM run_spend WHERE invocation_id = ? AND status = 'active'`),
      // The end was recorded for the invocation but not here (a crash between the two writes).
      settleEnded: db.prepare(
        `UPDATE run_spend SET
           status = (SELECT i.status FROM invocations i WHERE i.id = run_spend.invocation_id),
           ended_at = (SELECT i.ended_at FROM invocations i WHERE i.id = run_spend.invocation_id),
           cost_usd = max(cost_usd, coalesce((SELECT i.cost_usd FROM invocations i WHERE i.id = run_spend.invocation_id), 0))
         WHERE status = 'active' AND EXISTS
           (SELECT 1 FROM invocations i WHERE i.id = run_spend.invocation_id AND i.status NOT IN ('queued', 'running'))`,
      ),
      // Admitted, then refused by a later check in the same step, in a process that died before forgetting it.
      settleOrphans: db.prepare(
        `DELETE FROM run_spend WHERE status = 'active' AND NOT EXISTS (SELECT 1 FROM invocations i WHERE i.id = run_spend.invocation_id)`,
      ),
      daily: db.prepare<[string, string, string], SpendGroup>(
        `SELECT day, status, ${SUMS} FROM run_spend WHERE key_id = ? AND day >= ? AND day <= ? GROUP BY day, status ORDER BY day, status`,
      ),
      byKey: db.prepare<[string, string], KeySpend>(
        `SELECT key_id, ${SUMS} FROM run_spend WHERE day >= ? AND day <= ? GROUP BY key_id ORDER BY key_id`,
      ),
    };
    // IMMEDIATE: the standing read and the insert are one step even with another writer on the file.
    const tx = db.transaction((run: RunToAdmit, nowMs: number) => this.decideAndRecord(run, nowMs));
    this.admitTx = (run: RunToAdmit, nowMs: number) => tx.immediate(run, nowMs);
  }

  /**
   * Where a key stands in today's and this month's window (UTC) at `nowMs`.
   * @example const [day, month] = ledger.standing(key.id, { dayUsd: 5, monthUsd: null }, Date.now());
   */
  standing(keyId: string, budgets: KeyBudgets, nowMs: number): [WindowStanding, WindowStanding] {
    const { day, month } = budgetWindows(nowMs);
    const read = (period: 'day' | 'month', window: typeof day, limitUsd: number | null): WindowStanding => {
      const last = period === 'day' ? window.key : utcDay(window.endMs - 1);
      const first = period === 'day' ? window.key : `${window.key}-01`;
      const row = this.stmts.window.get(keyId, first, last) ?? { ended: 0, streaming: 0, held: 0, active: 0 };
      return { period, window, limitUsd, spentUsd: row.ended + row.streaming, committedUsd: row.ended + row.held, activeRuns: row.active };
    };
    return [read('day', day, budgets.dayUsd), read('month', month, budgets.monthUsd)];
  }

  /**
   * Decides the run against the key's budgets and, when granted, records it active with its
   * budget, in one transaction: two admissions cannot both take what is left.
   */
  admit(run: RunToAdmit, nowMs: number): BudgetDecision {
    return this.admitTx(run, nowMs);
  }

  /** What an active run has spent so far (the meter's latest reading). */
  progress(invocationId: string, reading: MeterReading): void {
    const u = reading.usage;
    this.stmts.progress.run(
      reading.costUsd,
      u.input_tokens,
      u.output_tokens,
      u.cache_creation_input_tokens,
      u.cache_read_input_tokens,
      reading.calls,
      invocationId,
    );
  }

  /** Records how a run ended and what it is charged; a run already ended (or never admitted) is left alone. */
  finish(invocationId: string, end: { status: string; costUsd: number; usage: TokenUsage; calls?: number }, endedAt: Date): void {
    const u = end.usage;
    const row = this.stmts.finish.get(
      end.status,
      endedAt.toISOString(),
      end.costUsd,
      u.input_tokens,
      u.output_tokens,
      u.cache_creation_input_tokens,
      u.cache_read_input_tokens,
      end.calls ?? 0,
      invocationId,
    ) as { key_id: string; session_id: string; day: string } | undefined;
    if (row === undefined) return;
    this.opts.onFinished?.({
      keyId: row.key_id,
      invocationId,
      sessionId: row.session_id,
      status: end.status,
      costUsd: end.costUsd,
      usage: { ...u },
      day: row.day,
    });
  }

  /** Takes back an admission whose run was then refused before it was recorded. */
  forget(invocationId: string): void {
    this.stmts.forget.run(invocationId);
  }

  /** The run's row as a meter reading (what recovery charges a run the service died in). */
  reading(invocationId: string): MeterReading | undefined {
    const row = this.stmts.get.get(invocationId);
    if (row === undefined) return undefined;
    const { cost_usd: costUsd, model_calls: calls, ...usage } = row;
    return { costUsd, usage, calls };
  }

  /**
   * At start-up, after recovery: rows still active whose invocation has ended take its end; rows
   * of invocations never recorded are dropped. Returns how many rows changed.
   */
  settle(): number {
    return this.stmts.settleEnded.run().changes + this.stmts.settleOrphans.run().changes;
  }

  /** A key's runs from `fromDay` to `toDay` (UTC, both included), grouped by day and status. */
  daily(keyId: string, fromDay: string, toDay: string): SpendGroup[] {
    return this.stmts.daily.all(keyId, fromDay, toDay);
  }

  /** Every key's totals from `fromDay` to `toDay` (for the operator's view). */
  byKey(fromDay: string, toDay: string): KeySpend[] {
    return this.stmts.byKey.all(fromDay, toDay);
  }

  private decideAndRecord(run: RunToAdmit, nowMs: number): BudgetDecision {
    const decision = decideBudget(this.standing(run.keyId, run.budgets, nowMs), run.requestedUsd);
    if (decision.kind !== 'granted') return decision;
    this.stmts.insert.run(
      run.invocationId,
      run.keyId,
      run.sessionId,
      utcDay(nowMs),
      new Date(nowMs).toISOString(),
      decision.capUsd,
      decision.limitedBy,
    );
    return decision;
  }
}

type MeterRow = TokenUsage & { cost_usd: number; model_calls: number };
