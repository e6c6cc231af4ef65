import { describe, expect, it } from 'vitest';
import { defaultGlobalRuns, defaultQueuedPerKey, defaultRunResources } from './machine.js';

const GiB = 2 ** 30;

describe('defaultGlobalRuns', () => {
  it('takes the smaller of 3 runs per core and 75% of memory at 200 MiB a run, at least 1', () => {
    expect(defaultGlobalRuns(2, 8 * GiB)).toBe(6); // cores bound: 6 < 30
    expect(defaultGlobalRuns(64, 4 * GiB)).toBe(15); // memory bound: floor(3072 / 200)
    expect(defaultGlobalRuns(1, 100 * 2 ** 20)).toBe(1); // too little memory still runs one
    expect(defaultGlobalRuns(0.5, 64 * GiB)).toBe(1);
  });
});

describe('defaultRunResources', () => {
  it('shares three quarters of memory among the run slots (at least 512 MiB) and lets a run use every core', () => {
    expect(defaultRunResources(2, 8 * GiB, 6)).toEqual({ memoryMb: 1024, pids: 512, cpus: 2, diskMb: 2048 });
    expect(defaultRunResources(16, 64 * GiB, 48)).toEqual({ memoryMb: 1024, pids: 512, cpus: 16, diskMb: 2048 });
    expect(defaultRunResources(8, 32 * GiB, 2).memoryMb).toBe(12_288);
    expect(defaultRunResources(1, 1 * GiB, 1)).toEqual({ memoryMb: 768, pids: 512, cpus: 1, diskMb: 2048 });
    expect(defaultRunResources(2, 512 * 2 ** 20, 4).memoryMb).toBe(512);
  });
});

describe('defaultQueuedPerKey', () => {
  it('is a quarter of the queue, rounded up, at least 1', () => {
    expect(defaultQueuedPerKey(24)).toBe(6);
    expect(defaultQueuedPerKey(10)).toBe(3);
    expect(defaultQueuedPerKey(1)).toBe(1);
    expect(defaultQueuedPerKey(0)).toBe(1);
  });
});
