import { describe, expect, it } from 'vitest';
import { RunMeter, type MeterReading } from './meter.js';

describe('RunMeter', () => {
  it('counts each answer once, at its latest usage, and reports every change', () => {
    const seen: MeterReading[] = [];
    const meter = new RunMeter({ onChange: (r) => seen.push(r) });
    meter.record(1, 'claude-haiku-4-5', { input_tokens: 100_000, output_tokens: 1 });
    meter.record(1, 'claude-haiku-4-5', { input_tokens: 100_000, output_tokens: 1_000 });
    meter.record(2, 'claude-haiku-4-5', { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 50 });
    expect(meter.reading()).toEqual({
      costUsd: expect.closeTo(0.1 + 0.005 + 0.0001 + 0.0001 + 0.000005, 12),
      usage: { input_tokens: 100_100, output_tokens: 1_020, cache_creation_input_tokens: 0, cache_read_input_tokens: 50 },
      calls: 2,
    });
    expect(seen).toHaveLength(3);
    expect(seen[0]?.usage.output_tokens).toBe(1);
  });

  it('reaches its budget at the cap, not before, and never without one', () => {
    const meter = new RunMeter({ capUsd: 0.2 });
    meter.record(1, 'claude-haiku-4-5', { input_tokens: 199_999 });
    expect(meter.reached()).toBe(false);
    meter.record(2, 'claude-haiku-4-5', { input_tokens: 1 });
    expect(meter.reached()).toBe(true);
    const open = new RunMeter();
    open.record(1, 'claude-opus-4-1', { output_tokens: 10_000_000 });
    expect(open.reached()).toBe(false);
  });
});
