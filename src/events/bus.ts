/**
 * In-process fan-out of new events to the streams watching a session. Events written by another
 * process reach no listener here; streams get those only by replay.
 */
import type { SessionEvent } from '../schemas/events.js';

/** Receives each new event of one session. */
export type EventListener = (event: SessionEvent) => void;

export interface EventBusOptions {
  /** Told when a listener throws; the other listeners still get the event. */
  onListenerError?: (error: unknown, event: SessionEvent) => void;
  /** Told of every event of every session, first (the event log mirror); must not throw. */
  onPublish?: (event: SessionEvent) => void;
}

/**
 * Per-session publish/subscribe; delivery is synchronous, in publish order.
 * @example const stop = bus.subscribe('s1', (event) => send(event)); ... stop();
 */
export class EventBus {
  private readonly listeners = new Map<string, Set<EventListener>>();

  constructor(private readonly options: EventBusOptions = {}) {}

  /** Delivers `event` to every listener of its session. */
  publish(event: SessionEvent): void {
    this.options.onPublish?.(event);
    const set = this.listeners.get(event.session_id);
    if (set === undefined) return;
    // A copy, so a listener that unsubscribes (or subscribes another) mid-delivery changes nothing now.
    for (const listener of [...set]) {
      try {
        listener(event);
      } catch (error) {
        this.options.onListenerError?.(error, event);
      }
    }
  }

  /** Listens to one session's new events; returns the function that stops listening. */
  subscribe(sessionId: string, listener: EventListener): () => void {
    let set = this.listeners.get(sessionId);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(sessionId, set);
    }
    // Wrapped so the same function subscribed twice is two subscriptions, each removable once.
    const entry: EventListener = (event) => listener(event);
    set.add(entry);
    return () => {
      const current = this.listeners.get(sessionId);
      if (current === undefined || !current.delete(entry)) return;
      // Finished sessions must not leave empty sets behind.
      if (current.size === 0) this.listeners.delete(sessionId);
    };
  }

  /** How many listeners a session has (for tests and metrics). */
  listenerCount(sessionId: string): number {
    return this.listeners.get(sessionId)?.size ?? 0;
  }
}
