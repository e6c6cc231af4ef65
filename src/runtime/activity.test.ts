import { describe, expect, it } from 'vitest';
import { Activity } from './activity.js';

function clock(startMs: number) {
  const c = { ms: startMs, now: () => c.ms };
  return c;
}

describe('Activity', () => {
  it('starts Healthy with the creation time in unix seconds', () => {
    const c = clock(1_700_000_000_999);
    const activity = new Activity(c.now);
    expect(activity.ping()).toEqual({ status: 'Healthy', time_of_last_update: 1_700_000_000 });
    expect(activity.running).toBe(0);
  });

  it('is HealthyBusy while a run is active, and updates the time only on busy/idle transitions', () => {
    const c = clock(1_000_000);
    const activity = new Activity(c.now);

    c.ms = 2_000_000;
    const endA = activity.begin();
    expect(activity.ping()).toEqual({ status: 'HealthyBusy', time_of_last_update: 2000 });

    c.ms = 3_000_000;
    const endB = activity.begin(); // already busy: no transition
    expect(activity.running).toBe(2);
    expect(activity.ping()).toEqual({ status: 'HealthyBusy', time_of_last_update: 2000 });

    c.ms = 4_000_000;
    endA(); // still one running
    expect(activity.ping()).toEqual({ status: 'HealthyBusy', time_of_last_update: 2000 });

    c.ms = 5_000_000;
    endB();
    expect(activity.ping()).toEqual({ status: 'Healthy', time_of_last_update: 5000 });

    c.ms = 6_000_000;
    expect(activity.ping().time_of_last_update).toBe(5000);
  });

  it('ignores a second call of the same end function', () => {
    const c = clock(0);
    const activity = new Activity(c.now);
    const endA = activity.begin();
    const endB = activity.begin();
    c.ms = 7_000;
    endA();
    endA();
    expect(activity.running).toBe(1);
    expect(activity.ping()).toEqual({ status: 'HealthyBusy', time_of_last_update: 0 });
    endB();
    c.ms = 9_000;
    endB();
    expect(activity.running).toBe(0);
    expect(activity.ping()).toEqual({ status: 'Healthy', time_of_last_update: 7 });
  });
});
