/**
 * The pool of warm agents: Claude Code processes started ahead of any request, each for a new
 * session of its own that nobody has been given yet, waiting for its first message. A request of a
 * matching shape takes one (its session gets that agent's session id); the agent serves that one
 * invocation and is never handed to anyone else. The pool keeps as many per shape as recent bursts
 * call for (see demand.ts), within what the machine allows, lets them go when nobody asks, replaces
 * one that dies or grows old, and ends every one of them when it closes.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging/index.js';
import { Demand, targets, type ShapeNeed } from './demand.js';
import { shapeKey, type WarmShape } from './shape.js';

/** A started agent as the pool holds it (the runtime makes them: src/runtime/warm-agent.ts). */
export interface Spare {
  readonly sessionId: string;
  /** Settles when its process has exited (or failed). */
  readonly exited: Promise<void>;
  /** Ends the process and what it holds, and removes its session's folders (nobody was given them). */
  discard(): Promise<void>;
  /** False once it cannot serve a run (it went over a limit, its process is gone): never handed out. */
  readonly usable?: boolean;
}

/** Why a spare was let go (for the log and the metrics). */
export type DiscardReason = 'idle' | 'age' | 'died' | 'closing' | 'refused';

/** How a request met the pool. */
export type TakeResult = 'hit' | 'miss' | 'not_eligible';

export interface WarmPoolOptions<S extends Spare> {
  /** Most spares at once, all shapes together (0: the pool is off). */
  max: number;
  /** A shape nobody asked for within this long keeps only its floor. */
  idleMs: number;
  /** A spare ready for this long is replaced (its date, its token, the binary on disk may have changed). */
  maxAgeMs: number;
  /** Spares starting at once. */
  maxStarting: number;
  /** The shape of a request with every default: kept at one spare even when idle. */
  defaultShape: WarmShape | undefined;
  /** Starts one spare of `shape` for new session `sessionId`; rejects if it cannot. */
  start: (shape: WarmShape, sessionId: string) => Promise<S>;
  log: Logger;
  /** Told of every request that could have used a spare (a hit once its run has ended), and of every spare let go. */
  onTake?: (result: TakeResult) => void;
  onDiscard?: (reason: DiscardReason) => void;
  now?: () => number;
  /** How often sizes, ages and idleness are looked at. */
  tickMs?: number;
}

/** What /health and /metrics show of the pool. */
export interface WarmPoolStats {
  enabled: boolean;
  /** Most spares at once. */
  max: number;
  /** Spares waiting for a request. */
  ready: number;
  /** Spares starting. */
  starting: number;
  /** New sessions that took a spare, and those of an eligible shape that found none ready. */
  hits: number;
  misses: number;
  /** hits / (hits + misses); null before the first. */
  hit_rate: number | null;
}

interface Entry<S> {
  sessionId: string;
  key: string;
  shape: WarmShape;
  state: 'starting' | 'ready';
  spare?: S;
  readyAt?: number;
}

/** Starts spares at most this often after failures, doubling up to a minute. */
const FAILURE_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60_000;

/**
 * Keeps warm agents for new sessions.
 * @example const pool = new WarmPool({ max: 4, idleMs: 300_000, maxAgeMs: 900_000, maxStarting: 1, defaultShape, start, log }); pool.take(shape)
 */
export class WarmPool<S extends Spare> {
  readonly #entries = new Map<string, Entry<S>>();
  readonly #shapes = new Map<string, WarmShape>();
  readonly #demand = new Demand();
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #hits = 0;
  #misses = 0;
  #closing = false;
  #failures = 0;
  #notBefore = 0;
  /** How long a spare took to start, on average: the window a burst is counted in. */
  #startMs = 1000;
  readonly #settling = new Set<Promise<unknown>>();
  /** Spares taken and not yet released, by shape: they count toward their shape until their run ends. */
  readonly #inUse = new Map<string, number>();
  /** Shape and ready time of each spare taken: what a give-back restores. */
  readonly #taken = new WeakMap<S, { key: string; readyAt: number }>();

  constructor(private readonly opts: WarmPoolOptions<S>) {
    this.#now = opts.now ?? Date.now;
    if (opts.defaultShape !== undefined) this.#shapes.set(shapeKey(opts.defaultShape), opts.defaultShape);
  }

  /** Starts filling the pool, and looking at it every `tickMs`. */
  start(): void {
    if (!this.enabled || this.#timer !== undefined || this.#closing) return;
    this.#timer = setInterval(() => this.tick(), this.opts.tickMs ?? 1000);
    this.#timer.unref();
    this.tick();
  }

  get enabled(): boolean {
    return this.opts.max > 0;
  }

  /**
   * Takes a ready spare of `shape` for a new session, or undefined (a miss: the request runs cold).
   * The spare is the caller's from here: it serves one invocation, then is ended.
   */
  take(shape: WarmShape): S | undefined {
    if (!this.enabled || this.#closing) return undefined;
    const key = shapeKey(shape);
    if (!this.#shapes.has(key)) this.#shapes.set(key, shape);
    this.#demand.record(key, this.#now());
    let found: Entry<S> | undefined;
    for (const entry of [...this.#entries.values()]) {
      if (entry.state === 'ready' && entry.spare?.usable === false) {
        this.#died(entry);
        continue;
      }
      // The one ready longest: the youngest are kept, so fewer grow old.
      if (entry.key === key && entry.state === 'ready' && (found === undefined || (entry.readyAt ?? 0) < (found.readyAt ?? 0)))
        found = entry;
    }
    if (found?.spare === undefined) {
      this.#misses++;
      this.opts.onTake?.('miss');
      this.tick();
      return undefined;
    }
    this.#entries.delete(found.sessionId);
    this.#hits++;
    // Its replacement starts once its run has ended (`release`): a start beside a run slows the
    // run's own last steps (the service's record of its changes), which no CPU share protects.
    this.#inUse.set(key, (this.#inUse.get(key) ?? 0) + 1);
    this.#taken.set(found.spare, { key, readyAt: found.readyAt ?? this.#now() });
    // One served: whatever made agents die before, they live long enough now.
    this.#failures = 0;
    return found.spare;
  }

  /** A request that no spare could serve whatever its shape (a continued session, a repository...). */
  notEligible(): void {
    if (this.enabled) this.opts.onTake?.('not_eligible');
  }

  /** The run that took `spare` has ended (or will not run): its shape may have a replacement now. */
  release(spare: S): void {
    if (this.#unmark(spare) === undefined) return;
    // Told here, not at the take: a take given back (the request was refused) is no hit.
    this.opts.onTake?.('hit');
    this.tick();
  }

  /**
   * Returns a spare taken for a request that was then refused before anything ran or was recorded:
   * ready again as it was (its age kept), and the take is not counted as a hit. `keep: false`: its
   * id was seen elsewhere (the session store), so it is ended instead, counted the same way.
   */
  giveBack(spare: S, shape: WarmShape, keep = true): void {
    const taken = this.#unmark(spare);
    if (taken !== undefined) {
      this.#hits = Math.max(0, this.#hits - 1);
      this.#demand.forget(taken.key);
    }
    if (!keep || this.#closing || spare.usable === false) {
      this.#let(spare, keep ? 'closing' : 'refused');
      return;
    }
    const entry: Entry<S> = {
      sessionId: spare.sessionId,
      key: taken?.key ?? shapeKey(shape),
      shape,
      state: 'ready',
      spare,
      readyAt: taken?.readyAt ?? this.#now(),
    };
    this.#entries.set(spare.sessionId, entry);
    this.#watchExit(entry, spare);
  }

  /** Forgets that `spare` was taken (once); what was known of it then. */
  #unmark(spare: S): { key: string; readyAt: number } | undefined {
    const taken = this.#taken.get(spare);
    if (taken === undefined) return undefined;
    this.#taken.delete(spare);
    const left = (this.#inUse.get(taken.key) ?? 1) - 1;
    if (left > 0) this.#inUse.set(taken.key, left);
    else this.#inUse.delete(taken.key);
    return taken;
  }

  /** The spares waiting for a request now (a snapshot, for diagnostics and tests). */
  readySpares(): S[] {
    return [...this.#entries.values()].flatMap((e) => (e.state === 'ready' && e.spare !== undefined ? [e.spare] : []));
  }

  /** Whether `sessionId` is a spare's (starting or ready): nobody may name it. */
  holds(sessionId: string): boolean {
    return this.#entries.has(sessionId);
  }

  stats(): WarmPoolStats {
    let ready = 0;
    let starting = 0;
    for (const e of this.#entries.values()) {
      if (e.state === 'ready') ready++;
      else starting++;
    }
    const asked = this.#hits + this.#misses;
    return {
      enabled: this.enabled,
      max: this.opts.max,
      ready,
      starting,
      hits: this.#hits,
      misses: this.#misses,
      hit_rate: asked === 0 ? null : this.#hits / asked,
    };
  }

  /** Sizes the pool: lets go of spares too old or no longer wanted, starts those missing. */
  tick(): void {
    if (this.#closing || !this.enabled || this.#timer === undefined) return;
    const now = this.#now();
    for (const entry of [...this.#entries.values()]) {
      if (entry.state === 'ready' && entry.spare !== undefined && now - (entry.readyAt ?? now) >= this.opts.maxAgeMs) {
        this.#drop(entry, 'age');
      }
    }
    const want = this.#targets(now);
    for (const [key, target] of want) {
      const mine = [...this.#entries.values()].filter((e) => e.key === key);
      // Too many (demand fell): the oldest ready ones go first.
      const ready = mine.filter((e) => e.state === 'ready').sort((a, b) => (a.readyAt ?? 0) - (b.readyAt ?? 0));
      for (let extra = mine.length - target; extra > 0 && ready.length > 0; extra--) this.#drop(ready.shift() as Entry<S>, 'idle');
      const shape = this.#shapes.get(key);
      const busy = this.#inUse.get(key) ?? 0;
      for (let missing = target - mine.length - busy; missing > 0 && shape !== undefined && this.#mayStart(now); missing--) {
        this.#start(key, shape);
      }
    }
    // Shapes no longer wanted at all.
    for (const entry of [...this.#entries.values()]) {
      if (entry.state === 'ready' && !want.has(entry.key)) this.#drop(entry, 'idle');
    }
  }

  /** Ends every spare (and waits for those starting); the pool takes no request after. */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    for (const entry of [...this.#entries.values()]) if (entry.state === 'ready') this.#drop(entry, 'closing');
    // Starting ones are let go as they settle (#start sees #closing).
    while (this.#settling.size > 0) await Promise.allSettled([...this.#settling]);
  }

  #targets(now: number): Map<string, number> {
    this.#demand.prune(now, this.opts.idleMs);
    const recent = this.#demand.recent();
    const defaultKey = this.opts.defaultShape === undefined ? undefined : shapeKey(this.opts.defaultShape);
    for (const key of [...this.#shapes.keys()]) if (key !== defaultKey && !recent.includes(key)) this.#shapes.delete(key);
    const window = Math.max(1000, this.#startMs * 1.5);
    const needs: ShapeNeed[] = recent.map((key) => ({
      key,
      // A shape asked for once is not kept (one request per shape would cost a start each, and
      // push the others out); from its second request within the idle time, it is.
      peak:
        key === defaultKey || this.#demand.count(key, now, this.opts.idleMs) >= 2
          ? this.#demand.peak(key, now, window, this.opts.idleMs)
          : 0,
      // The default shape keeps one agent, given before any shape's bursts.
      floor: key === defaultKey ? 1 : 0,
    }));
    if (defaultKey !== undefined && !recent.includes(defaultKey)) needs.push({ key: defaultKey, peak: 0, floor: 1 });
    return targets(needs, this.opts.max);
  }

  #mayStart(now: number): boolean {
    if (now < this.#notBefore) return false;
    let starting = 0;
    for (const e of this.#entries.values()) if (e.state === 'starting') starting++;
    return starting < this.opts.maxStarting;
  }

  #start(key: string, shape: WarmShape): void {
    const sessionId = randomUUID();
    const entry: Entry<S> = { sessionId, key, shape, state: 'starting' };
    this.#entries.set(sessionId, entry);
    const began = this.#now();
    const started = this.opts.start(shape, sessionId).then(
      (spare) => {
        this.#startMs = this.#startMs * 0.7 + (this.#now() - began) * 0.3;
        // Closed, or let go while it started: it never becomes ready.
        if (this.#closing || this.#entries.get(sessionId) !== entry) {
          this.#entries.delete(sessionId);
          this.#let(spare, 'closing');
          return;
        }
        entry.state = 'ready';
        entry.spare = spare;
        entry.readyAt = this.#now();
        this.#watchExit(entry, spare);
      },
      (err: unknown) => {
        this.#entries.delete(sessionId);
        this.#backOff();
        this.opts.log.warn({ err: String(err), retry_in_ms: this.#notBefore - this.#now() }, 'a warm agent could not start');
      },
    );
    this.#track(started);
  }

  /** A ready spare whose process exits is replaced (at the next tick). */
  #watchExit(entry: Entry<S>, spare: S): void {
    void spare.exited.then(() => {
      if (this.#entries.get(entry.sessionId) !== entry) return;
      this.#died(entry);
      this.tick();
    });
  }

  /**
   * A spare that died (or went over a limit) while it waited is let go and counts as a failed
   * start: agents that keep dying (a memory limit below what one holds, a full disk) are replaced
   * ever more slowly, not in a loop.
   */
  #died(entry: Entry<S>): void {
    this.opts.log.warn({ session_id: entry.sessionId }, 'a warm agent ended while it waited; replacing it');
    this.#drop(entry, 'died');
    this.#backOff();
  }

  #backOff(): void {
    this.#failures++;
    const wait = Math.min(MAX_BACKOFF_MS, FAILURE_BACKOFF_MS * 2 ** (this.#failures - 1));
    this.#notBefore = this.#now() + wait;
  }

  #drop(entry: Entry<S>, reason: DiscardReason): void {
    this.#entries.delete(entry.sessionId);
    if (entry.spare !== undefined) this.#let(entry.spare, reason);
  }

  #let(spare: S, reason: DiscardReason): void {
    this.opts.onDiscard?.(reason);
    this.#track(spare.discard().catch((err: unknown) => this.opts.log.warn({ err: String(err) }, 'could not end a warm agent')));
  }

  #track(p: Promise<unknown>): void {
    const tracked = p.finally(() => this.#settling.delete(tracked));
    this.#settling.add(tracked);
  }
}
