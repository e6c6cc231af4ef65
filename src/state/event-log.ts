/**
 * The event log mirrored next to the session's state, for the API Lambda to replay
 * (`GET /sessions/{id}/events` on AWS): each session's events in segments of JSON lines, one event
 * a line exactly as the SSE `data` has it. Events are batched, since an S3 PUT per event would be
 * slow and costly: a segment is written at most `flushMs` after its first event, and at once on
 * `invocation.completed`, so a finished run's log is whole when its final state lands.
 *
 * Appending never blocks or fails the run. Writes of one session go one at a time, in order, so a
 * segment never lands before the ones it follows; a failed write is retried a few times, then
 * logged and given up (the log in SQLite stays the truth; the mirror is a copy).
 */
import type { Logger } from '../logging/index.js';
import type { SessionEvent } from '../schemas/events.js';

/** Where segments go: one object per batch, named by its first event id. */
export interface SegmentSink {
  put(sessionId: string, firstId: number, body: string): Promise<void>;
}

export interface EventLogOptions {
  /** Longest time an event waits in the buffer (default 1 s). */
  flushMs?: number;
  /** Waits before each retry of a failed write (default 0.5, 2 and 5 s: three retries). */
  retryDelaysMs?: number[];
}

interface SessionLog {
  buffer: SessionEvent[];
  timer: NodeJS.Timeout | undefined;
  /** The last write asked for; the next one starts after it. */
  tail: Promise<void>;
}

/**
 * Buffers each session's events and writes them as segments.
 * @example bus = new EventBus({ onPublish: (event) => eventLog.append(event) });
 */
export class EventLogWriter {
  readonly #sessions = new Map<string, SessionLog>();
  readonly #flushMs: number;
  readonly #retryDelaysMs: number[];

  constructor(
    private readonly sink: SegmentSink,
    private readonly logger: Logger,
    opts: EventLogOptions = {},
  ) {
    this.#flushMs = opts.flushMs ?? 1000;
    this.#retryDelaysMs = opts.retryDelaysMs ?? [500, 2000, 5000];
  }

  /** Buffers one event; returns at once, never throws. */
  append(event: SessionEvent): void {
    let log = this.#sessions.get(event.session_id);
    if (log === undefined) {
      log = { buffer: [], timer: undefined, tail: Promise.resolve() };
      this.#sessions.set(event.session_id, log);
    }
    log.buffer.push(event);
    if (event.type === 'invocation.completed') this.#flush(event.session_id, log);
    else log.timer ??= setTimeout(() => this.#flush(event.session_id, log), this.#flushMs).unref();
  }

  /**
   * Writes every buffered event now and resolves once all writes have landed or been given up
   * (shutdown, tests).
   * @example await eventLog.settled();
   */
  async settled(): Promise<void> {
    for (const [sessionId, log] of this.#sessions) this.#flush(sessionId, log);
    await Promise.all([...this.#sessions.values()].map((log) => log.tail));
  }

  #flush(sessionId: string, log: SessionLog): void {
    clearTimeout(log.timer);
    log.timer = undefined;
    const batch = log.buffer.splice(0);
    const first = batch[0];
    if (first === undefined) return;
    const body = batch.map((event) => `${JSON.stringify(event)}\n`).join('');
    const next = log.tail.then(() => this.#write(sessionId, first.id, body, batch.length));
    log.tail = next;
    // A session with nothing buffered or in flight is forgotten: finished sessions leave nothing behind.
    void next.then(() => {
      if (log.tail === next && log.buffer.length === 0 && this.#sessions.get(sessionId) === log) this.#sessions.delete(sessionId);
    });
  }

  async #write(sessionId: string, firstId: number, body: string, count: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.sink.put(sessionId, firstId, body);
        return;
      } catch (err) {
        const delay = this.#retryDelaysMs[attempt];
        if (delay === undefined) {
          this.logger.warn({ err, session_id: sessionId, first_id: firstId, events: count }, 'could not mirror session events; gave up');
          return;
        }
        this.logger.warn(
          { err, session_id: sessionId, first_id: firstId, attempt: attempt + 1 },
          'could not mirror session events; retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
