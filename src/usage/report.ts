/**
 * A key's usage as `GET /usage` and `cca usage` show it: runs by outcome, tokens and cost for each
 * UTC day of a range, their totals, and where the key stands against its budgets now.
 */
import type { BudgetStanding, UsageReport, UsageTotals } from '../schemas/usage.js';
import type { KeyBudgets, WindowStanding } from './budget.js';
import type { SpendGroup, SpendLedger } from './ledger.js';
import { daysBetween } from './windows.js';

/**
 * The usage of `keyId` from `from` to `to` (UTC days, both included) and its budgets at `nowMs`.
 * @example usageReport(ledger, key.id, { dayUsd: 5, monthUsd: null }, { from: '2025-01-01', to: '2025-01-31' }, Date.now())
 */
export function usageReport(
  ledger: SpendLedger,
  keyId: string,
  budgets: KeyBudgets,
  range: { from: string; to: string },
  nowMs: number,
): UsageReport {
  const groups = ledger.daily(keyId, range.from, range.to);
  const byDay = new Map<string, UsageTotals>();
  const totals = emptyTotals();
  for (const group of groups) {
    let day = byDay.get(group.day);
    if (day === undefined) byDay.set(group.day, (day = emptyTotals()));
    add(day, group);
    add(totals, group);
  }
  const [day, month] = ledger.standing(keyId, budgets, nowMs);
  return {
    key_id: keyId,
    from: range.from,
    to: range.to,
    timezone: 'UTC',
    totals,
    days: daysBetween(range.from, range.to).map((d) => ({ day: d, ...(byDay.get(d) ?? emptyTotals()) })),
    budget: { day: standingOf(day), month: standingOf(month) },
  };
}

/** One window as the report shows it. */
export function standingOf(s: WindowStanding): BudgetStanding {
  return {
    window: s.window.key,
    budget_usd: s.limitUsd,
    spent_usd: round(s.spentUsd),
    held_usd: round(Math.max(0, s.committedUsd - s.spentUsd)),
    remaining_usd: s.limitUsd === null ? null : round(Math.max(0, s.limitUsd - s.committedUsd)),
    active_runs: s.activeRuns,
    resets_at: new Date(s.window.endMs).toISOString(),
  };
}

function emptyTotals(): UsageTotals {
  return {
    runs: 0,
    runs_by_outcome: {},
    cost_usd: 0,
    usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}

function add(into: UsageTotals, group: SpendGroup): void {
  const outcome = group.status === 'active' ? 'in_progress' : (group.status as keyof UsageTotals['runs_by_outcome']);
  into.runs += group.runs;
  into.runs_by_outcome[outcome] = (into.runs_by_outcome[outcome] ?? 0) + group.runs;
  into.cost_usd += group.cost_usd;
  into.usage.input_tokens += group.input_tokens;
  into.usage.output_tokens += group.output_tokens;
  into.usage.cache_creation_input_tokens += group.cache_creation_input_tokens;
  into.usage.cache_read_input_tokens += group.cache_read_input_tokens;
}

/** Micro-dollars: sums of floats show their noise otherwise (0.30000000000000004). */
function round(amount: number): number {
  return Math.round(amount * 1e6) / 1e6;
}
