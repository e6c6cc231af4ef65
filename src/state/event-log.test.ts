import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../logging/index.js';
import type { SessionEvent } from '../schemas/events.js';
import { EventLogWriter, type SegmentSink } from './event-log.js';

const event = (sessionId: string, id: number, type: SessionEvent['type'] = 'assistant.text'): SessionEvent =>
  ({
    id,
    session_id: sessionId,
    invocation_id: 'inv-1',
    at: '2025-01-01T00:00:00.000Z',
    type,
    data: type === 'invocation.completed' ? { status: 'succeeded', output: null } : { text: `line ${id}\nwith a break` },
  }) as SessionEvent;

function recordingSink(fail: (sessionId: string, firstId: number) => boolean = () => false, delayMs = (_first: number) => 5) {
  const segments: { sessionId: string; firstId: number; body: string }[] = [];
  const sink: SegmentSink = {
    async put(sessionId, firstId, body) {
      await new Promise((r) => setTimeout(r, delayMs(firstId)));
      if (fail(sessionId, firstId)) throw new Error('S3 is down');
      segments.push({ sessionId, firstId, body });
    },
  };
  return { sink, segments };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('EventLogWriter', () => {
  it('writes a batch at most flushMs after its first event, one JSON line per event, named by its first id', async () => {
    vi.useFakeTimers();
    const { sink, segments } = recordingSink();
    const log = new EventLogWriter(sink, silentLogger(), { flushMs: 1000 });
    log.append(event('s-1', 1));
    log.append(event('s-1', 2));
    await vi.advanceTimersByTimeAsync(900);
    expect(segments).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(segments.map((s) => [s.sessionId, s.firstId])).toEqual([['s-1', 1]]);
    const lines = segments[0]?.body.split('\n') ?? [];
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((l) => JSON.parse(l) as unknown)).toEqual([event('s-1', 1), event('s-1', 2)]);
  });

  it('writes at once on invocation.completed, so a finished run is whole', async () => {
    vi.useFakeTimers();
    const { sink, segments } = recordingSink();
    const log = new EventLogWriter(sink, silentLogger(), { flushMs: 60_000 });
    log.append(event('s-1', 1));
    log.append(event('s-1', 2, 'invocation.completed'));
    await vi.advanceTimersByTimeAsync(10);
    expect(segments.map((s) => s.firstId)).toEqual([1]);
    expect(segments[0]?.body.trimEnd().split('\n')).toHaveLength(2);
  });

  it("keeps each session's segments in order while a slow write is in flight, and sessions apart", async () => {
    // The first write is the slowest: without the per-session queue the later ones would land first.
    const { sink, segments } = recordingSink(undefined, (first) => (first === 1 ? 40 : 1));
    const log = new EventLogWriter(sink, silentLogger(), { flushMs: 1 });
    log.append(event('s-1', 1, 'invocation.completed'));
    log.append(event('s-2', 1));
    log.append(event('s-1', 2, 'invocation.completed'));
    log.append(event('s-1', 3));
    await log.settled();
    expect(segments.filter((s) => s.sessionId === 's-1').map((s) => s.firstId)).toEqual([1, 2, 3]);
    expect(segments.filter((s) => s.sessionId === 's-2').map((s) => s.firstId)).toEqual([1]);
  });

  it('retries a failed write, then gives up with a warning, and never throws into the run', async () => {
    let failures = 2;
    const { sink, segments } = recordingSink((_s, first) => first === 1 && failures-- > 0);
    const warn = vi.fn();
    const logger = { ...silentLogger(), warn } as unknown as ReturnType<typeof silentLogger>;
    const log = new EventLogWriter(sink, logger, { flushMs: 1, retryDelaysMs: [1, 1] });
    expect(() => log.append(event('s-1', 1, 'invocation.completed'))).not.toThrow();
    await log.settled();
    expect(segments.map((s) => s.firstId)).toEqual([1]);
    expect(warn).toHaveBeenCalledTimes(2);

    const { sink: down } = recordingSink(() => true);
    const gaveUp = vi.fn();
    const broken = new EventLogWriter(down, { ...silentLogger(), warn: gaveUp } as unknown as ReturnType<typeof silentLogger>, {
      flushMs: 1,
      retryDelaysMs: [1],
    });
    broken.append(event('s-1', 1, 'invocation.completed'));
    await broken.settled();
    expect(gaveUp).toHaveBeenLastCalledWith(
      expect.objectContaining({ session_id: 's-1', first_id: 1, events: 1 }),
      expect.stringMatching(/gave up/),
    );
  });
});
