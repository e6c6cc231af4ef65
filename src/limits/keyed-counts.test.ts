import { describe, expect, it } from 'vitest';
import { parseKeyedCounts } from './keyed-counts.js';
import { diskLimitHit, limitFromCounts } from './limit-hit.js';

const resources = { memoryMb: 256, pids: 64, cpus: 1, diskMb: 20 };

describe('parseKeyedCounts', () => {
  it('reads v2 memory.events, v1 memory.oom_control and pids.events', () => {
    expect(parseKeyedCounts('low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n')).toEqual({
      low: 0,
      high: 0,
      max: 12,
      oom: 1,
      oom_kill: 1,
      oom_group_kill: 0,
    });
    expect(parseKeyedCounts('oom_kill_disable 0\nunder_oom 0\noom_kill 3\n')).toEqual({ oom_kill_disable: 0, under_oom: 0, oom_kill: 3 });
    expect(parseKeyedCounts('max 0')).toEqual({ max: 0 });
  });

  it('skips what is not `name number` (an empty file, "max" as a value)', () => {
    expect(parseKeyedCounts('')).toEqual({});
    expect(parseKeyedCounts('pids max\nnr -1\n  spaced   7  \n')).toEqual({ spaced: 7 });
  });
});

describe('limitFromCounts / diskLimitHit', () => {
  it('names memory before processes, and nothing when neither was hit', () => {
    expect(limitFromCounts({ oomKills: 0, pidsRefused: 0 }, resources)).toBeUndefined();
    expect(limitFromCounts({ oomKills: 1, pidsRefused: 5 }, resources)?.stopReason).toBe('memory_limit');
    const procs = limitFromCounts({ oomKills: 0, pidsRefused: 1 }, resources);
    expect(procs?.stopReason).toBe('process_limit');
    expect(procs?.message).toMatch(/more than 64 processes.*files written so far were stored/);
  });

  it('says how much the directories held, or that the files were too many to count', () => {
    expect(diskLimitHit(resources, { bytes: 21 * 2 ** 20, entries: 3, complete: true }).message).toContain('limit of 20 MB (21.0 MB)');
    expect(diskLimitHit(resources, { bytes: 0, entries: 100_001, complete: false }).message).toContain('more than 100000 files');
  });
});
