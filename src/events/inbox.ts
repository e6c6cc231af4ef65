/**
 * The events a stream has been sent but not yet yielded, and a way to wait for the next one.
 * Unbounded on purpose: a slow reader must not lose events or stall the run that produces them,
 * and events are small (text is cut at EVENT_TEXT_LIMIT), so even a long run buffers little.
 */
import type { SessionEvent } from '../schemas/events.js';

/** A FIFO of events with a single waiter. */
export class Inbox {
  private items: (SessionEvent | undefined)[] = [];
  private head = 0;
  private waiter: (() => void) | undefined;

  /** Adds an event and wakes the waiter; bound, so it can be passed as a listener. */
  readonly push = (event: SessionEvent): void => {
    this.items.push(event);
    this.wake();
  };

  /** Wakes the waiter without an event (e.g. on abort). */
  readonly wake = (): void => {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  };

  /** The oldest event not yet taken, if any. */
  shift(): SessionEvent | undefined {
    if (this.head >= this.items.length) return undefined;
    const event = this.items[this.head];
    // Index instead of Array.shift (linear); drop references so yielded events can be collected.
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
    return event;
  }

  /** Resolves at the next push or wake. */
  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}
