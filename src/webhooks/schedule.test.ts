import { describe, expect, it } from 'vitest';
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE_S, loadConfig } from '../config/index.js';
import { JITTER, nextAttemptDelayMs } from './schedule.js';

describe('nextAttemptDelayMs', () => {
  const schedule = [0, 5000, 30_000];

  it('waits the scheduled time plus at most 20% jitter, and allows no attempt past the schedule', () => {
    expect(nextAttemptDelayMs(schedule, 1, () => 0)).toBe(5000);
    expect(nextAttemptDelayMs(schedule, 1, () => 0.5)).toBe(5500);
    expect(nextAttemptDelayMs(schedule, 2, () => 0.999999)).toBe(Math.round(30_000 * (1 + JITTER * 0.999999)));
    expect(nextAttemptDelayMs(schedule, 3, () => 0)).toBeUndefined();
  });

  it('keeps the jitter within bounds whatever the random source says', () => {
    expect(nextAttemptDelayMs(schedule, 1, () => 7)).toBe(6000);
    expect(nextAttemptDelayMs(schedule, 1, () => -1)).toBe(5000);
  });

  it('adds no jitter to an immediate attempt', () => {
    expect(nextAttemptDelayMs([0, 0], 1, () => 0.9)).toBe(0);
  });
});

describe('the retry schedule in the configuration', () => {
  it('defaults to 11 attempts over about a day', () => {
    const { retryScheduleMs } = loadConfig({}, {}).webhooks;
    expect(retryScheduleMs).toEqual(DEFAULT_WEBHOOK_RETRY_SCHEDULE_S.map((s) => s * 1000));
    const total = retryScheduleMs.reduce((a, b) => a + b, 0);
    expect(total / 3_600_000).toBeGreaterThan(20);
    expect(total / 3_600_000).toBeLessThan(30);
  });

  it('takes seconds, fractions allowed, from CCA_WEBHOOK_RETRY_SCHEDULE, and refuses anything else with the form to use', () => {
    expect(loadConfig({}, { CCA_WEBHOOK_RETRY_SCHEDULE: '0, 0.2,1' }).webhooks.retryScheduleMs).toEqual([0, 200, 1000]);
    for (const bad of ['a', '1,,2', '-1', '86401', Array(31).fill('1').join(',')]) {
      expect(() => loadConfig({}, { CCA_WEBHOOK_RETRY_SCHEDULE: bad })).toThrow(
        /CCA_WEBHOOK_RETRY_SCHEDULE must be 1 to 30 numbers of seconds/,
      );
    }
  });

  it('checks CCA_WEBHOOK_SECRET has the whsec_ form', () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect(loadConfig({}, { CCA_WEBHOOK_SECRET: secret }).webhooks.secret).toBe(secret);
    expect(() => loadConfig({}, { CCA_WEBHOOK_SECRET: 'hunter2' })).toThrow(/CCA_WEBHOOK_SECRET: a webhook secret is "whsec_"/);
    expect(() => loadConfig({}, { CCA_WEBHOOK_SECRET: 'whsec_c2hvcnQ=' })).toThrow(/24 to 64 bytes/);
  });
});
