import { describe, expect, it } from 'vitest';
import type { InvocationOutput } from '../schemas/responses.js';
import { invocationRecordOf, RecordingStateMirror, type InvocationRecord } from './invocation-record.js';
import type { SessionStateRecord, StateMirror } from './mirror.js';

const state = (status: SessionStateRecord['status'], at: string, output: InvocationOutput | null = null): SessionStateRecord => ({
  session_id: 's-1',
  owner: null,
  invocation_id: 'inv-1',
  status,
  prompt: 'Build it',
  updated_at: at,
  output,
});

const output = { output: { timestamp: '2025-01-01T12:00:10.000Z', metadata: { duration_ms: 4000 } } } as unknown as InvocationOutput;

describe('invocationRecordOf', () => {
  it('keeps the given start, and ends a finished run at its output time', () => {
    expect(invocationRecordOf(state('succeeded', '2025-01-01T12:00:11.000Z', output), '2025-01-01T12:00:00.000Z')).toEqual({
      session_id: 's-1',
      invocation_id: 'inv-1',
      owner: null,
      status: 'succeeded',
      prompt: 'Build it',
      started_at: '2025-01-01T12:00:00.000Z',
      ended_at: '2025-01-01T12:00:10.000Z',
      updated_at: '2025-01-01T12:00:11.000Z',
      output,
    });
  });

  it('without a known start, takes the end minus the duration, else the state time; running has no end', () => {
    expect(invocationRecordOf(state('succeeded', '2025-01-01T12:00:11.000Z', output)).started_at).toBe('2025-01-01T12:00:06.000Z');
    const running = invocationRecordOf(state('running', '2025-01-01T12:00:01.000Z'));
    expect(running).toMatchObject({ started_at: '2025-01-01T12:00:01.000Z', ended_at: null });
    expect(invocationRecordOf(state('cancelled', '2025-01-01T12:00:05.000Z')).ended_at).toBe('2025-01-01T12:00:05.000Z');
  });
});

describe('RecordingStateMirror', () => {
  it('writes the state and a record per invocation that keeps the time it was queued', async () => {
    const states: SessionStateRecord[] = [];
    const records: InvocationRecord[] = [];
    const inner: StateMirror = { put: async (s) => void states.push(s), get: async () => states.at(-1) };
    const mirror = new RecordingStateMirror(inner, { put: async (r) => void records.push(r) });
    await mirror.put(state('queued', '2025-01-01T12:00:00.000Z'));
    await mirror.put(state('running', '2025-01-01T12:00:01.000Z'));
    await mirror.put(state('succeeded', '2025-01-01T12:00:11.000Z', output));
    expect(states.map((s) => s.status)).toEqual(['queued', 'running', 'succeeded']);
    expect(records.map((r) => [r.status, r.started_at, r.ended_at])).toEqual([
      ['queued', '2025-01-01T12:00:00.000Z', null],
      ['running', '2025-01-01T12:00:00.000Z', null],
      ['succeeded', '2025-01-01T12:00:00.000Z', '2025-01-01T12:00:10.000Z'],
    ]);
    expect(await mirror.get('s-1')).toMatchObject({ status: 'succeeded' });
  });

  it('rejects when the record cannot be written, so the state writer logs it', async () => {
    const inner: StateMirror = { put: async () => undefined, get: async () => undefined };
    const mirror = new RecordingStateMirror(inner, {
      put: async () => {
        throw new Error('S3 is down');
      },
    });
    await expect(mirror.put(state('queued', '2025-01-01T12:00:00.000Z'))).rejects.toThrow('S3 is down');
  });
});
