import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { limitsFor } from './invoke-route.js';

const limits = loadConfig({}, {}, undefined, '/tmp').limits;

describe('limitsFor', () => {
  it('keeps the server limits without a caller or without caps', () => {
    expect(limitsFor(limits, undefined)).toBe(limits);
    expect(
      limitsFor(limits, { keyId: 'k', maxConcurrent: 1, maxQueued: null, caps: { maxTimeoutS: null, maxTurns: null, maxBudgetUsd: null } }),
    ).toEqual(limits);
  });

  it('takes the lower of server and key maxima, and never a default above them', () => {
    const narrowed = limitsFor(limits, {
      keyId: 'k',
      maxConcurrent: 1,
      maxQueued: null,
      caps: { maxTimeoutS: 60, maxTurns: 500, maxBudgetUsd: 1 },
    });
    expect(narrowed).toMatchObject({
      timeoutSLimit: 60,
      defaultTimeoutS: 60,
      maxTurnsLimit: limits.maxTurnsLimit,
      budgetUsdLimit: 1,
      defaultBudgetUsd: 1,
    });
    expect(narrowed.defaultMaxTurns).toBe(limits.defaultMaxTurns);
  });
});
