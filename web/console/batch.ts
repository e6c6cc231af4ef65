/** Collecting items that arrive one by one so the screen takes them in batches (a long replay stays linear). */

/** A buffer of items handed to `flush` together, once per `schedule` tick or at `flushNow()`. */
export interface Batcher<T> {
  push(item: T): void;
  /** Hands over what is buffered now (e.g. when the stream ends). */
  flushNow(): void;
  /** Drops what is buffered and any scheduled flush. */
  cancel(): void;
}

/**
 * A batcher calling `flush` with the items pushed since the last flush; `schedule` runs its callback
 * later (an animation frame in the browser) and returns a function that cancels it.
 * @example const b = batcher((es) => setEvents((all) => all.concat(es)), nextFrame);
 */
export function batcher<T>(flush: (items: T[]) => void, schedule: (run: () => void) => () => void): Batcher<T> {
  let pending: T[] = [];
  let unschedule: (() => void) | undefined;
  const flushNow = () => {
    unschedule?.();
    unschedule = undefined;
    if (pending.length === 0) return;
    const items = pending;
    pending = [];
    flush(items);
  };
  return {
    push(item) {
      pending.push(item);
      unschedule ??= schedule(flushNow);
    },
    flushNow,
    cancel() {
      unschedule?.();
      unschedule = undefined;
      pending = [];
    },
  };
}
