import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { limitsFor, resourcesFor } from './invoke-route.js';

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

describe('resourcesFor', () => {
  const resources = { memoryMb: 1024, pids: 512, cpus: 1, diskMb: 2048 };
  const caps = { maxTimeoutS: null, maxTurns: null, maxBudgetUsd: null };

  it("keeps the server's resources without a caller, without caps, or with caps above them", () => {
    expect(resourcesFor(resources, undefined)).toEqual(resources);
    expect(resourcesFor(resources, { keyId: 'k', maxConcurrent: 1, maxQueued: null, caps })).toEqual(resources);
    const high = { ...caps, maxMemoryMb: 4096, maxPids: 4096, maxCpus: 8, maxDiskMb: 1_000_000 };
    expect(resourcesFor(resources, { keyId: 'k', maxConcurrent: 1, maxQueued: null, caps: high })).toEqual(resources);
  });

  it("takes each of a key's lower caps", () => {
    const low = { ...caps, maxMemoryMb: 256, maxPids: 64, maxCpus: 0.5, maxDiskMb: null };
    expect(resourcesFor(resources, { keyId: 'k', maxConcurrent: 1, maxQueued: null, caps: low })).toEqual({
      memoryMb: 256,
      pids: 64,
      cpus: 0.5,
      diskMb: 2048,
    });
  });
});
