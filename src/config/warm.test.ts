import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { defaultWarmMax, parseWarmPool } from './warm.js';

const machine = { cpus: 2, totalMemBytes: 24 * 2 ** 30 };

describe('parseWarmPool', () => {
  it('is auto under serve (two per core, within the run slots and a tenth of memory) and off under runtime', () => {
    expect(parseWarmPool({}, 'serve', machine, 6)).toMatchObject({
      max: 4,
      auto: true,
      idleMs: 300_000,
      maxAgeMs: 900_000,
      maxStarting: 1,
    });
    expect(parseWarmPool({}, 'runtime', machine, 6).max).toBe(0);
    expect(defaultWarmMax(16, 4 * 2 ** 30, 48)).toBe(1);
    expect(defaultWarmMax(16, 64 * 2 ** 30, 3)).toBe(3);
  });
  it('takes a number, off, and the idle and age times in seconds', () => {
    expect(parseWarmPool({ pool: '8', idleS: '2.5', maxAgeS: '60' }, 'runtime', machine, 6)).toMatchObject({
      max: 8,
      auto: false,
      idleMs: 2500,
      maxAgeMs: 60_000,
    });
    expect(parseWarmPool({ pool: 'OFF' }, 'serve', machine, 6).max).toBe(0);
    expect(parseWarmPool({ pool: '0' }, 'serve', machine, 6).max).toBe(0);
  });
  it('refuses anything else with a message that says what it takes', () => {
    expect(() => parseWarmPool({ pool: 'lots' }, 'serve', machine, 6)).toThrow(ConfigError);
    expect(() => parseWarmPool({ pool: '-1' }, 'serve', machine, 6)).toThrow(/"auto".*"off".*0-1000/);
    expect(() => parseWarmPool({ idleS: '0' }, 'serve', machine, 6)).toThrow(/CCA_WARM_IDLE_S/);
    expect(() => parseWarmPool({ maxAgeS: 'x' }, 'serve', machine, 6)).toThrow(/CCA_WARM_MAX_AGE_S/);
    expect(() => parseWarmPool({ maxAgeS: '5' }, 'serve', machine, 6)).toThrow(/from 10 to 86400/);
    expect(() => parseWarmPool({ idleS: '0.5' }, 'serve', machine, 6)).toThrow(/from 1 to 86400/);
  });
});
