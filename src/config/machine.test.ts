import { describe, expect, it } from 'vitest';
import { defaultGlobalRuns } from './machine.js';

const GiB = 2 ** 30;

describe('defaultGlobalRuns', () => {
  it('takes the smaller of 3 runs per core and 75% of memory at 200 MiB a run, at least 1', () => {
    expect(defaultGlobalRuns(2, 8 * GiB)).toBe(6); // cores bound: 6 < 30
    expect(defaultGlobalRuns(64, 4 * GiB)).toBe(15); // memory bound: floor(3072 / 200)
    expect(defaultGlobalRuns(1, 100 * 2 ** 20)).toBe(1); // too little memory still runs one
    expect(defaultGlobalRuns(0.5, 64 * GiB)).toBe(1);
  });
});
