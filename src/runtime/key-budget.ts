/**
 * The spending limits of API keys as runs meet them: a key over its day or month budget gets 402
 * before anything is recorded; a run gets at most what is left as its max_budget_usd (and holds it
 * until it ends); every model answer the broker forwards for it is metered, and a run the meter
 * finds at its budget may make no more model calls. At the end the run is charged (the ledger
 * row's final cost), and its output says when the key's budget, not the request's, stopped it.
 */
import type { UsageObserver } from '../broker/index.js';
import { BudgetExceededError, BudgetHeldError } from '../errors/index.js';
import type { RunOutcome } from '../runner/index.js';
import type { RunBudgetReport } from '../schemas/responses.js';
import { RunMeter, secondsUntil, usd, type BudgetPeriod, type KeyBudgets, type SpendLedger, type WindowStanding } from '../usage/index.js';

/** The spend ledger and the clock budgets are counted by; undefined in a service: nothing counted. */
export interface SpendDeps {
  ledger: SpendLedger;
  /** Milliseconds since the epoch (tests inject a clock). */
  now: () => number;
}

/** A run's budget, as admission granted it. */
export interface RunBudget {
  capUsd: number;
  limitedBy: 'request' | BudgetPeriod;
  /** The key's limits then (null: none); the output reports the budget only for a key that has one. */
  key: KeyBudgets;
  /** Where the key stood in the window that limited the run, for the message if it stops the run. */
  standing?: WindowStanding | undefined;
}

/** How long a run refused because runs in progress hold the budget is told to wait. */
const HELD_RETRY_S = 10;

const PERIOD_NAME: Record<BudgetPeriod, string> = { day: 'daily', month: 'monthly' };
const FLAG: Record<BudgetPeriod, string> = { day: '--budget-usd-day', month: '--budget-usd-month' };

/**
 * Decides a run of `keyId` against its budgets and records it in the ledger; throws 402 (a budget
 * is spent) or 429 (what is left is held by runs in progress). Undefined: the run is not a key's.
 * @example const budget = admitBudget(deps.spend, { invocationId, keyId, sessionId, budgets, requestedUsd: req.maxBudgetUsd });
 */
export function admitBudget(
  spend: SpendDeps | undefined,
  run: { invocationId: string; keyId: string | undefined; sessionId: string; budgets: KeyBudgets | undefined; requestedUsd: number },
): RunBudget | undefined {
  if (spend === undefined || run.keyId === undefined) return undefined;
  const key = run.budgets ?? { dayUsd: null, monthUsd: null };
  const nowMs = spend.now();
  const decision = spend.ledger.admit({ ...run, keyId: run.keyId, budgets: key }, nowMs);
  if (decision.kind === 'exceeded') throw exceeded(decision.standing, nowMs);
  if (decision.kind === 'held') throw held(decision.standing);
  const standing =
    decision.limitedBy === 'request' ? undefined : spend.ledger.standing(run.keyId, key, nowMs)[decision.limitedBy === 'day' ? 0 : 1];
  return { capUsd: decision.capUsd, limitedBy: decision.limitedBy, key, standing };
}

function details(s: WindowStanding & { limitUsd: number }): Record<string, unknown> {
  return {
    limit: s.period,
    budget_usd: s.limitUsd,
    spent_usd: round(s.spentUsd),
    resets_at: new Date(s.window.endMs).toISOString(),
  };
}

function exceeded(s: WindowStanding, nowMs: number): BudgetExceededError {
  const limit = s.limitUsd ?? 0;
  const resetsAt = new Date(s.window.endMs).toISOString();
  const retryAfterS = secondsUntil(s.window.endMs, nowMs);
  return new BudgetExceededError(
    `This API key has spent ${usd(s.spentUsd)} of its ${PERIOD_NAME[s.period]} budget of ${usd(limit)} (${windowName(s)}, UTC), ` +
      `so no run starts until the budget resets at ${resetsAt} (in ${retryAfterS} s). ` +
      `The operator can raise or remove it with: cca keys update KEY_ID ${FLAG[s.period]} USD|none.`,
    retryAfterS,
    details({ ...s, limitUsd: limit }),
  );
}

function held(s: WindowStanding): BudgetHeldError {
  const limit = s.limitUsd ?? 0;
  return new BudgetHeldError(
    `What is left of this API key's ${PERIOD_NAME[s.period]} budget (${usd(Math.max(0, limit - s.spentUsd))} of ${usd(limit)}) is held by ` +
      `its ${s.activeRuns} run(s) in progress: each holds its max_budget_usd until it ends. ` +
      'Retry when one ends, or send a smaller max_budget_usd so more runs fit.',
    HELD_RETRY_S,
    { ...details({ ...s, limitUsd: limit }), held_usd: round(s.committedUsd - s.spentUsd), active_runs: s.activeRuns },
  );
}

function windowName(s: WindowStanding): string {
  return s.period === 'day' ? s.window.key : `the month ${s.window.key}`;
}

function round(amount: number): number {
  return Math.round(amount * 1e6) / 1e6;
}

/**
 * The meter of one run, writing what it has spent to the ledger as it goes (when the run is a key's),
 * and the broker's view of it: a run at its budget is stopped at its next model call.
 * @example const meter = meterFor(deps.spend, run.invocationId, budget, req.maxBudgetUsd);
 */
export function meterFor(
  spend: SpendDeps | undefined,
  invocationId: string,
  budget: RunBudget | undefined,
  maxBudgetUsd: number,
): RunMeter {
  return new RunMeter({
    capUsd: budget?.capUsd ?? maxBudgetUsd,
    onChange: budget === undefined || spend === undefined ? undefined : (reading) => spend.ledger.progress(invocationId, reading),
  });
}

/**
 * What the broker asks of a run's meter: each answer's usage, and whether the run may still call
 * the model. At its budget the run is stopped (`max_budget`, files so far stored) and the call refused.
 */
export function budgetObserver(meter: RunMeter, controller: AbortController): UsageObserver {
  return {
    onUsage: (callId, model, usage) => meter.record(callId, model, usage),
    refusal: () => {
      if (!meter.reached()) return undefined;
      const spent = `its budget (max_budget_usd ${usd(meter.capUsd ?? 0)}) by the service's count of its model calls`;
      if (!controller.signal.aborted) {
        controller.abort({ stopReason: 'max_budget', message: `Stopped: the run spent ${spent}; the files written so far were stored.` });
      }
      return `This run has spent ${spent}; it may make no more model calls.`;
    },
  };
}

/**
 * The outcome as the run is charged: Claude Code's own cost and tokens, unless the meter counted
 * more (no result came: cancelled, timed out, stopped; or model calls Claude Code did not count),
 * in which case the meter's. The output reports the same figure the ledger records.
 */
export function chargedOutcome(outcome: RunOutcome, meter: RunMeter | undefined): RunOutcome {
  const reading = meter?.reading();
  if (reading === undefined) return outcome;
  // Within float noise of each other: the same calls priced the same way.
  if (outcome.costReported && reading.costUsd <= outcome.costUsd * (1 + 1e-9) + 1e-12) return outcome;
  return { ...outcome, costUsd: reading.costUsd, usage: reading.usage, costReported: false };
}

/**
 * A run stopped at its budget when that budget was what was left of the key's: the output says the
 * key's budget was the cause, and when it resets.
 */
export function budgetStop(outcome: RunOutcome, budget: RunBudget | undefined): { outcome: RunOutcome; errorCode?: string } {
  if (outcome.stopReason !== 'max_budget' || budget === undefined || budget.limitedBy === 'request') return { outcome };
  const s = budget.standing;
  const limit = budget.key[budget.limitedBy === 'day' ? 'dayUsd' : 'monthUsd'] ?? 0;
  const resets = s === undefined ? '' : ` It resets at ${new Date(s.window.endMs).toISOString()}.`;
  const message =
    `Stopped: this API key's ${PERIOD_NAME[budget.limitedBy]} budget of ${usd(limit)} ran out. The run was given what was left of it ` +
    `(${usd(budget.capUsd)}) as its max_budget_usd, and reached it; the files written so far were stored.${resets}`;
  return {
    outcome: { ...outcome, result: message, errors: [message, ...outcome.errors.filter((e) => !/max_budget_usd/.test(e))] },
    errorCode: `key_budget_${budget.limitedBy}`,
  };
}

/** The output's `budget`: for a key with a budget, what the run was given and which limit set it. */
export function budgetReport(budget: RunBudget | undefined): RunBudgetReport | undefined {
  if (budget === undefined || (budget.key.dayUsd === null && budget.key.monthUsd === null)) return undefined;
  return { max_budget_usd: budget.capUsd, limited_by: budget.limitedBy === 'request' ? 'request' : `key_${budget.limitedBy}` };
}
