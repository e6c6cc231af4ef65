/**
 * Slots for concurrent agent runs: a global limit (the machine), a per-owner limit (the API
 * key's max_concurrent), and a bounded FIFO queue in front of them, of which one owner may hold
 * only a share (the key's max_queued), so one key cannot fill it for everyone.
 */
import { BusyError, KeyQueueFullError } from '../errors/index.js';

interface Waiter {
  owner: string | undefined;
  perOwnerMax: number;
  grant: (release: () => void) => void;
}

/** Why a run waits for a slot (the `waiting` of its `invocation.queued` event). */
export type SlotWait = 'service_busy' | 'key_max_concurrent';

/** Run slots with a global limit, a per-owner limit, and a bounded FIFO queue. */
export class RunSlots {
  private readonly globalMax: number;
  private readonly maxQueue: number;
  private readonly retryAfterS: number;
  private running = 0;
  private readonly byOwner = new Map<string, number>();
  private readonly queuedByOwner = new Map<string, number>();
  private readonly waiters: Waiter[] = [];

  constructor(opts: { globalMax: number; maxQueue: number; retryAfterS?: number }) {
    if (!Number.isInteger(opts.globalMax) || opts.globalMax < 1)
      throw new RangeError(`globalMax must be a whole number >= 1 (got ${opts.globalMax})`);
    if (!Number.isInteger(opts.maxQueue) || opts.maxQueue < 0)
      throw new RangeError(`maxQueue must be a whole number >= 0 (got ${opts.maxQueue})`);
    this.globalMax = opts.globalMax;
    this.maxQueue = opts.maxQueue;
    this.retryAfterS = opts.retryAfterS ?? 5;
  }

  /**
   * Resolves with an idempotent release function once a slot is free for `owner` (undefined: no
   * per-owner limits), or rejects with the signal's reason on abort. Throws at once, not through
   * the promise, so an async caller can still answer before 202: KeyQueueFullError (429) when the
   * owner already has `perOwnerQueue` runs waiting, BusyError (503) when the whole queue is full.
   * @example const release = await slots.acquire(key.id, key.max_concurrent, signal, maxQueued); try { await run(); } finally { release(); }
   */
  acquire(
    owner: string | undefined,
    perOwnerMax: number,
    signal?: AbortSignal,
    perOwnerQueue: number = Number.POSITIVE_INFINITY,
  ): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (owner !== undefined && !(perOwnerMax >= 1)) return Promise.reject(new RangeError(`perOwnerMax must be >= 1 (got ${perOwnerMax})`));
    // Whenever a slot frees up every queued waiter that fits is started, so none fits now and a
    // newcomer that fits is the first in line that does: starting it at once keeps FIFO order.
    if (this.fits(owner, perOwnerMax)) return Promise.resolve(this.start(owner));
    const ownQueued = owner === undefined ? 0 : (this.queuedByOwner.get(owner) ?? 0);
    // Checked first: the key's own limit is what its caller can act on, whatever the others do.
    if (owner !== undefined && ownQueued >= perOwnerQueue) {
      throw new KeyQueueFullError(
        `This API key already has ${ownQueued} run(s) waiting for a slot, its limit; retry after one of them starts ` +
          `(about ${this.retryAfterS} s), or cancel one with POST /sessions/{session_id}/cancel. ` +
          'The operator can raise the limit with: cca keys update KEY_ID --max-queued N.',
        this.retryAfterS,
      );
    }
    if (this.waiters.length >= this.maxQueue) {
      throw new BusyError(
        `The service is at capacity (${this.running} runs active, ${this.waiters.length} queued); retry after ${this.retryAfterS} s.`,
        this.retryAfterS,
      );
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index !== -1) {
          this.waiters.splice(index, 1);
          this.unqueue(owner);
        }
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        owner,
        perOwnerMax,
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      this.waiters.push(waiter);
      if (owner !== undefined) this.queuedByOwner.set(owner, ownQueued + 1);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Why `acquire` would queue a caller now: every slot of the service is taken (`service_busy`),
   * or the owner already runs its `perOwnerMax` (`key_max_concurrent`); undefined when it would start at once.
   * @example const waiting = slots.waitingFor(key.id, key.max_concurrent); const release = await slots.acquire(...);
   */
  waitingFor(owner: string | undefined, perOwnerMax: number): SlotWait | undefined {
    if (this.running >= this.globalMax) return 'service_busy';
    if (owner !== undefined && (this.byOwner.get(owner) ?? 0) >= perOwnerMax) return 'key_max_concurrent';
    return undefined;
  }

  /** Runs holding a slot now. */
  get active(): number {
    return this.running;
  }

  /** Callers waiting for a slot. */
  get queued(): number {
    return this.waiters.length;
  }

  /** Callers of one owner waiting for a slot. */
  queuedFor(owner: string): number {
    return this.queuedByOwner.get(owner) ?? 0;
  }

  private unqueue(owner: string | undefined): void {
    if (owner === undefined) return;
    const left = (this.queuedByOwner.get(owner) ?? 1) - 1;
    if (left <= 0) this.queuedByOwner.delete(owner);
    else this.queuedByOwner.set(owner, left);
  }

  private fits(owner: string | undefined, perOwnerMax: number): boolean {
    if (this.running >= this.globalMax) return false;
    return owner === undefined || (this.byOwner.get(owner) ?? 0) < perOwnerMax;
  }

  private start(owner: string | undefined): () => void {
    this.running++;
    if (owner !== undefined) this.byOwner.set(owner, (this.byOwner.get(owner) ?? 0) + 1);
    let released = false;
    return () => {
      // A second call (say, from both a finally and an error handler) must not free someone else's slot.
      if (released) return;
      released = true;
      this.running--;
      if (owner !== undefined) {
        const left = (this.byOwner.get(owner) ?? 1) - 1;
        if (left === 0) this.byOwner.delete(owner);
        else this.byOwner.set(owner, left);
      }
      this.drain();
    };
  }

  /** Starts, in queue order, every waiter that fits; one at its owner's limit blocks no one else. */
  private drain(): void {
    for (let i = 0; i < this.waiters.length && this.running < this.globalMax;) {
      const waiter = this.waiters[i] as Waiter;
      if (!this.fits(waiter.owner, waiter.perOwnerMax)) {
        i++;
        continue;
      }
      this.waiters.splice(i, 1);
      this.unqueue(waiter.owner);
      waiter.grant(this.start(waiter.owner));
    }
  }
}
