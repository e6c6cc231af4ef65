/**
 * Whether a key's budgets let a run start, and with how much: pure arithmetic over what the key
 * has spent and holds in each window. A run in progress holds its whole `max_budget_usd` (or what
 * it has spent, if more) until it ends, so runs started side by side cannot together be given
 * more than what is left; each can still pass its own by the model calls it had under way when it
 * reached it, which is the bound README states.
 */
import type { Window } from './windows.js';

/** The spending limits of a key in US dollars; null: none. */
export interface KeyBudgets {
  dayUsd: number | null;
  monthUsd: number | null;
}

/** Which budget a window is. */
export type BudgetPeriod = 'day' | 'month';

/** Where a key stands in one window. */
export interface WindowStanding {
  period: BudgetPeriod;
  window: Window;
  /** The budget; null: none. */
  limitUsd: number | null;
  /** Cost of the runs that ended, plus what the runs in progress have spent so far. */
  spentUsd: number;
  /** Cost of the runs that ended, plus what each run in progress holds (its budget, or its spending if more). */
  committedUsd: number;
  /** Runs of the key in progress (queued or running) charged to this window. */
  activeRuns: number;
}

/** What the budgets decided for one run. */
export type BudgetDecision =
  | { kind: 'granted'; capUsd: number; limitedBy: 'request' | BudgetPeriod }
  /** A budget is spent: nothing starts until it resets. */
  | { kind: 'exceeded'; standing: WindowStanding }
  /** Not spent, but what is left is held by runs in progress. */
  | { kind: 'held'; standing: WindowStanding };

/**
 * Decides one run of a key asking for `requestedUsd` (its max_budget_usd), given its standing in
 * the day and the month. Over a budget: `exceeded` (the window that resets last, if both are).
 * @example decideBudget([day, month], 5) // { kind: 'granted', capUsd: 0.4, limitedBy: 'day' } when $0.40 is left today
 */
export function decideBudget(standings: WindowStanding[], requestedUsd: number): BudgetDecision {
  const limited = standings.filter((s): s is WindowStanding & { limitUsd: number } => s.limitUsd !== null);
  const exceeded = limited.filter((s) => s.spentUsd >= s.limitUsd).sort((a, b) => b.window.endMs - a.window.endMs);
  if (exceeded[0] !== undefined) return { kind: 'exceeded', standing: exceeded[0] };
  let capUsd = requestedUsd;
  let limitedBy: 'request' | BudgetPeriod = 'request';
  for (const s of limited) {
    const available = s.limitUsd - s.committedUsd;
    if (available <= 0) return { kind: 'held', standing: s };
    if (available < capUsd) {
      capUsd = available;
      limitedBy = s.period;
    }
  }
  return { kind: 'granted', capUsd, limitedBy };
}

/**
 * US dollars as people read them: cents, or more digits for amounts under a dollar.
 * @example usd(12.5) // '$12.50'; usd(0.01234) // '$0.0123'
 */
export function usd(amount: number): string {
  const rounded = Math.abs(amount) < 1 ? Number(amount.toPrecision(3)) : Number(amount.toFixed(2));
  const decimals = Math.min(8, Math.max(2, (rounded.toString().split('.')[1] ?? '').length));
  return `$${rounded.toFixed(decimals)}`;
}
