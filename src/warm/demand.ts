/**
 * How many warm agents each shape needs, from what was asked for lately: enough to meet the
 * largest burst of new sessions that came within one agent's start-up time (the time the pool
 * needs to refill), never more than the machine allows in total, and none for a shape nobody asked
 * for within the idle time. Pure: the clock is passed in.
 */

/** Most arrivals kept per shape: a burst larger than the pool is counted as the whole pool. */
const KEPT = 256;

/** Arrival times of new-session requests per shape. */
export class Demand {
  readonly #arrivals = new Map<string, number[]>();

  /** A request of shape `key` arrived at `now` (hit or miss alike). */
  record(key: string, now: number): void {
    const list = this.#arrivals.get(key) ?? [];
    list.push(now);
    if (list.length > KEPT) list.splice(0, list.length - KEPT);
    // Most recent shape last: Map keeps insertion order.
    this.#arrivals.delete(key);
    this.#arrivals.set(key, list);
  }

  /** Takes back the latest arrival of `key` (a request refused before it ran is no demand). */
  forget(key: string): void {
    this.#arrivals.get(key)?.pop();
  }

  /** Forgets arrivals older than `horizonMs`, and shapes left with none. */
  prune(now: number, horizonMs: number): void {
    for (const [key, list] of this.#arrivals) {
      const kept = list.filter((t) => now - t <= horizonMs);
      if (kept.length === 0) this.#arrivals.delete(key);
      else this.#arrivals.set(key, kept);
    }
  }

  /**
   * The most arrivals of `key` within any `windowMs` during the last `horizonMs`.
   * @example demand.peak(key, Date.now(), 1000, 300_000) // 3: three new sessions within one second
   */
  peak(key: string, now: number, windowMs: number, horizonMs: number): number {
    const list = (this.#arrivals.get(key) ?? []).filter((t) => now - t <= horizonMs);
    let best = 0;
    let from = 0;
    for (let to = 0; to < list.length; to++) {
      while ((list[to] as number) - (list[from] as number) >= windowMs) from++;
      best = Math.max(best, to - from + 1);
    }
    return best;
  }

  /** Arrivals of `key` during the last `horizonMs`. */
  count(key: string, now: number, horizonMs: number): number {
    return (this.#arrivals.get(key) ?? []).filter((t) => now - t <= horizonMs).length;
  }

  /** Shapes asked for within what is kept, most recently asked first. */
  recent(): string[] {
    return [...this.#arrivals.keys()].reverse();
  }
}

/** One shape's claim on the pool. */
export interface ShapeNeed {
  key: string;
  /** Agents its recent bursts call for. */
  peak: number;
  /** Agents it keeps even when idle (the default shape: 1). */
  floor: number;
}

/**
 * Agents to keep per shape, within `max` in total: every floor first, then each shape's bursts,
 * the first shapes (most recently asked) first.
 * @example targets([{ key: 'a', peak: 3, floor: 0 }, { key: 'b', peak: 0, floor: 1 }], 2) // Map { a → 1, b → 1 }
 */
export function targets(needs: ShapeNeed[], max: number): Map<string, number> {
  const out = new Map<string, number>();
  let left = Math.max(0, max);
  for (const need of needs) {
    const floor = Math.min(left, need.floor);
    out.set(need.key, floor);
    left -= floor;
  }
  for (const need of needs) {
    const more = Math.min(left, Math.max(0, need.peak - (out.get(need.key) ?? 0)));
    out.set(need.key, (out.get(need.key) ?? 0) + more);
    left -= more;
  }
  return out;
}
