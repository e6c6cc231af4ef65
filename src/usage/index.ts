/** What API keys spend: budgets per UTC day and month, the run meter, the spend ledger and the price table. */
export { decideBudget, usd, type BudgetDecision, type BudgetPeriod, type KeyBudgets, type WindowStanding } from './budget.js';
export { SpendLedger, type FinishedRun, type KeySpend, type RunToAdmit, type SpendGroup } from './ledger.js';
export { emptyReading, RunMeter, type MeterReading } from './meter.js';
export { canonicalModel, costOf, priceOf, UNKNOWN_MODEL_PRICE, type CallUsage, type ModelPrice } from './prices.js';
export { budgetWindows, dayBefore, daysBetween, isUtcDay, secondsUntil, utcDay, type Window, type Windows } from './windows.js';
export { standingOf, usageReport } from './report.js';
export { DEFAULT_USAGE_DAYS, MAX_USAGE_DAYS, usageRange } from './range.js';
