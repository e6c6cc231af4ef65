/**
 * The events of sessions as the service and the routes see them: recorded, published, and
 * followed from any point without gaps or duplicates.
 */
import type { EventBus } from './bus.js';
import type { EventDraft } from './from-sdk.js';
import { Inbox } from './inbox.js';
import type { SessionEvent } from '../schemas/events.js';
import { EVENT_PAGE_LIMIT, type EventStore } from './store.js';

/** Where a stream starts and what ends it. */
export interface StreamOptions {
  /** Send events with a larger id only (0: from the start; a client's Last-Event-ID to resume). */
  afterId: number;
  /** Whether the session has a queued or running invocation now. */
  isActive: () => boolean;
  /** Ends the stream; abort it when the client goes away. */
  signal?: AbortSignal;
  /** End after the `invocation.completed` of this invocation (the stream of one POST /invoke). */
  untilInvocation?: string;
}

/**
 * Records, publishes and streams session events.
 *
 * A stream ends when it has sent everything written so far, the last of it (or the replay) ended
 * an invocation, and `isActive()` is false. So the producer must record an invocation as finished
 * in the same synchronous step as it emits its `invocation.completed` (no `await` between them).
 * @example for await (const event of events.stream(id, { afterId: 0, isActive, signal })) write(formatSse(event));
 */
export class SessionEvents {
  constructor(
    private readonly store: EventStore,
    private readonly bus: EventBus,
  ) {}

  /** Records and publishes one event. */
  emit(sessionId: string, invocationId: string, draft: EventDraft): SessionEvent {
    const event = this.store.append({ ...draft, session_id: sessionId, invocation_id: invocationId });
    this.bus.publish(event);
    return event;
  }

  /** The id of the session's newest event (0: none yet); a session continued from another worker's save starts past its events. */
  lastId(sessionId: string): number {
    return this.store.lastId(sessionId);
  }

  /** Everything after `afterId`, then live events, until the session is idle, `untilInvocation` completes, or `signal` aborts. */
  stream(sessionId: string, options: StreamOptions): AsyncIterable<SessionEvent> {
    return this.follow(sessionId, options);
  }

  private async *follow(sessionId: string, options: StreamOptions): AsyncGenerator<SessionEvent> {
    const { isActive, signal, untilInvocation } = options;
    if (signal?.aborted) return;
    // Subscribe before reading the store: an event written after the last read is then in the
    // inbox, never in neither; one in both is skipped by id.
    const inbox = new Inbox();
    const unsubscribe = this.bus.subscribe(sessionId, inbox.push);
    signal?.addEventListener('abort', inbox.wake);
    try {
      let last = options.afterId;
      for (;;) {
        const page = this.store.listAfter(sessionId, last, EVENT_PAGE_LIMIT);
        for (const event of page) {
          if (signal?.aborted) return;
          yield event;
          last = event.id;
          // An earlier invocation's completion does not end the replay: later invocations follow it.
          if (event.type === 'invocation.completed' && event.invocation_id === untilInvocation) return;
        }
        if (page.length < EVENT_PAGE_LIMIT) break;
      }
      // Whether "caught up and idle" ends the stream: true after the replay and after each
      // completion. Checked only once the inbox is empty, so a slow reader still gets the events of
      // invocations that ran while it lagged behind.
      let checkIdle = true;
      for (;;) {
        if (signal?.aborted) return;
        const event = inbox.shift();
        if (event === undefined) {
          if (checkIdle && !isActive()) return;
          checkIdle = false;
          await inbox.wait();
          continue;
        }
        if (event.id <= last) continue;
        yield event;
        last = event.id;
        if (event.type === 'invocation.completed') {
          if (event.invocation_id === untilInvocation) return;
          checkIdle = true;
        }
      }
    } finally {
      unsubscribe();
      signal?.removeEventListener('abort', inbox.wake);
    }
  }
}
