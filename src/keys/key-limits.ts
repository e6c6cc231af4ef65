/**
 * The limits an API key carries, mirroring an API Gateway usage plan (rate, burst, daily quota)
 * plus the number of agent runs it may have at once, and their validation.
 */
import { ValidationError } from '../errors/index.js';

/** Per-key limits: token bucket rate and size, requests per UTC day, concurrent runs. */
export interface KeyLimits {
  ratePerS: number;
  burst: number;
  dailyQuota: number;
  maxConcurrent: number;
}

/**
 * Per-key caps on one run, below the server's maxima; null: the server's maximum. What it may ask
 * for (timeout, turns, budget) and what it may use (memory, processes, CPU, disk; CCA_RUN_*).
 */
export interface KeyRunCaps {
  maxTimeoutS: number | null;
  maxTurns: number | null;
  maxBudgetUsd: number | null;
  maxMemoryMb: number | null;
  maxPids: number | null;
  maxCpus: number | null;
  maxDiskMb: number | null;
  /** What one upload into a session may write (below CCA_UPLOAD_MAX_MB / CCA_UPLOAD_MAX_FILES). */
  maxUploadMb: number | null;
  maxUploadFiles: number | null;
}

/**
 * Per-key shares of what the service holds for everyone; null: the server's default
 * (CCA_MAX_QUEUED_PER_KEY, CCA_STORAGE_QUOTA_MB).
 */
export interface KeyShares {
  /** Runs the key may have waiting for a run slot (0: none, it runs only when a slot is free). */
  maxQueued: number | null;
  /** Megabytes (MiB) of stored files the key may have; 0: no quota. */
  storageQuotaMb: number | null;
}

/**
 * Checks shares: whole numbers from 0, or null.
 * @example resolveKeyShares({ maxQueued: 2 }) // { maxQueued: 2, storageQuotaMb: null }
 */
export function resolveKeyShares(shares: Partial<KeyShares> = {}): KeyShares {
  const resolved: KeyShares = { maxQueued: shares.maxQueued ?? null, storageQuotaMb: shares.storageQuotaMb ?? null };
  for (const [field, max] of [
    ['maxQueued', 100_000],
    ['storageQuotaMb', 1_000_000_000],
  ] as const) {
    const value = resolved[field];
    if (value !== null && (!Number.isInteger(value) || value < 0 || value > max)) {
      throw new ValidationError(`${field} must be a whole number from 0 to ${max} (got ${String(value)}).`, { field });
    }
  }
  return resolved;
}
/** A key's spending limits in US dollars, per UTC calendar day and month; null: none. */
export interface KeyBudgetLimits {
  budgetUsdDay: number | null;
  budgetUsdMonth: number | null;
}

/** The largest budget a key may have, in US dollars (a typo guard, not a policy). */
export const MAX_BUDGET_USD = 1_000_000;

/**
 * Checks budgets: US dollars from 0 (nothing may be spent) to 1,000,000, or null (no limit).
 * @example resolveKeyBudgets({ budgetUsdDay: 5 }) // { budgetUsdDay: 5, budgetUsdMonth: null }
 */
export function resolveKeyBudgets(budgets: Partial<KeyBudgetLimits> = {}): KeyBudgetLimits {
  const resolved: KeyBudgetLimits = { budgetUsdDay: budgets.budgetUsdDay ?? null, budgetUsdMonth: budgets.budgetUsdMonth ?? null };
  for (const field of ['budgetUsdDay', 'budgetUsdMonth'] as const) {
    const value = resolved[field];
    if (value !== null && (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_BUDGET_USD)) {
      throw new ValidationError(`${field} must be a number of US dollars from 0 to ${MAX_BUDGET_USD} (got ${String(value)}).`, { field });
    }
  }
  return resolved;
}

/** Whole-number caps and their bounds (the same as CCA_RUN_MEMORY_MB, CCA_RUN_PIDS, CCA_RUN_DISK_MB). */
const WHOLE_CAPS = [
  ['maxTimeoutS', 1, 1_000_000],
  ['maxTurns', 1, 1_000_000],
  ['maxMemoryMb', 64, 16 * 1024 * 1024],
  ['maxPids', 16, 4_194_304],
  ['maxDiskMb', 1, 1024 * 1024 * 1024],
  ['maxUploadMb', 1, 1024 * 1024],
  ['maxUploadFiles', 1, 1_000_000],
] as const;

/** Checks run caps: positive numbers (whole for seconds and turns) or null. */
export function resolveRunCaps(caps: Partial<KeyRunCaps> = {}): KeyRunCaps {
  const resolved: KeyRunCaps = {
    maxTimeoutS: caps.maxTimeoutS ?? null,
    maxTurns: caps.maxTurns ?? null,
    maxBudgetUsd: caps.maxBudgetUsd ?? null,
    maxMemoryMb: caps.maxMemoryMb ?? null,
    maxPids: caps.maxPids ?? null,
    maxCpus: caps.maxCpus ?? null,
    maxDiskMb: caps.maxDiskMb ?? null,
    maxUploadMb: caps.maxUploadMb ?? null,
    maxUploadFiles: caps.maxUploadFiles ?? null,
  };
  for (const [field, min, max] of WHOLE_CAPS) {
    const value = resolved[field];
    if (value !== null && (!Number.isInteger(value) || value < min || value > max)) {
      throw new ValidationError(`${field} must be a whole number from ${min} to ${max} (got ${String(value)}).`, { field });
    }
  }
  const cpus = resolved.maxCpus;
  if (cpus !== null && (typeof cpus !== 'number' || !Number.isFinite(cpus) || cpus < 0.01 || cpus > 4096)) {
    throw new ValidationError(`maxCpus must be a number from 0.01 to 4096 (got ${String(cpus)}).`, { field: 'maxCpus' });
  }
  const budget = resolved.maxBudgetUsd;
  if (budget !== null && (typeof budget !== 'number' || !Number.isFinite(budget) || budget <= 0)) {
    throw new ValidationError(`maxBudgetUsd must be a number greater than 0 (got ${String(budget)}).`, { field: 'maxBudgetUsd' });
  }
  return resolved;
}

/** The original sample's usage plan (10 req/s, burst 20, 1000 a day) and 4 runs at once. */
export const DEFAULT_KEY_LIMITS: KeyLimits = Object.freeze({ ratePerS: 10, burst: 20, dailyQuota: 1000, maxConcurrent: 4 });

const INTEGER_LIMITS = [
  ['burst', 100_000],
  ['dailyQuota', 1_000_000_000],
  ['maxConcurrent', 1000],
] as const;

/**
 * The defaults overlaid with the given limits; throws ValidationError naming the bad field.
 * @example resolveKeyLimits({ burst: 5 }) // { ratePerS: 10, burst: 5, dailyQuota: 1000, maxConcurrent: 4 }
 */
export function resolveKeyLimits(limits: Partial<KeyLimits> = {}): KeyLimits {
  const resolved: KeyLimits = {
    ratePerS: limits.ratePerS ?? DEFAULT_KEY_LIMITS.ratePerS,
    burst: limits.burst ?? DEFAULT_KEY_LIMITS.burst,
    dailyQuota: limits.dailyQuota ?? DEFAULT_KEY_LIMITS.dailyQuota,
    maxConcurrent: limits.maxConcurrent ?? DEFAULT_KEY_LIMITS.maxConcurrent,
  };
  const rate = resolved.ratePerS;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0 || rate > 10_000) {
    throw new ValidationError(`ratePerS must be a number greater than 0 and at most 10000 (got ${String(rate)}).`, {
      field: 'ratePerS',
    });
  }
  for (const [field, max] of INTEGER_LIMITS) {
    const value = resolved[field];
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new ValidationError(`${field} must be a whole number from 1 to ${max} (got ${String(value)}).`, { field });
    }
  }
  return resolved;
}

// Control, format, private-use, surrogate and unassigned characters, and line/paragraph
// separators: anything that would garble a terminal listing of keys.
const NAME = /^[^\p{C}\p{Zl}\p{Zp}]{1,64}$/u;

/**
 * Checks a key's display name: 1-64 printable characters, not only spaces.
 * @example validateKeyName('ci-bot') // ok; validateKeyName('') throws ValidationError
 */
export function validateKeyName(name: string): void {
  if (typeof name !== 'string' || !NAME.test(name) || name.trim() === '') {
    throw new ValidationError('name must be 1 to 64 printable characters, not only spaces (no control characters or line breaks).', {
      field: 'name',
    });
  }
}
