/**
 * Per-run tokens: what a run holds instead of the operator's credential. A token is 256 random
 * bits, is valid while its run lives, and names that run; after the run it is refused, and the
 * refusal can say why (a leaked token of a finished run, not a guess).
 */
import { randomBytes } from 'node:crypto';
import type { UsageObserver } from './usage-tap.js';

/** What checking a token found: a live token names its run, and what counts its model calls. */
export type TokenCheck = { ok: true; runId: string; observer?: UsageObserver } | { ok: false; reason: 'unknown' | 'ended'; runId?: string };

/** How many ended tokens are remembered, to tell "ended" from "unknown" in the log. */
const REMEMBERED_ENDED = 10_000;

/** The live tokens of the service's runs. */
export class RunTokens {
  private readonly live = new Map<
    string,
    { runId: string; uses: number; observer?: UsageObserver | undefined; settles: Set<() => void> }
  >();
  private readonly ended = new Map<string, string>();

  /**
   * A new token for `runId`; `observer` sees the usage of each model answer its run gets.
   * @example const token = tokens.issue(invocationId)
   */
  issue(runId: string, observer?: UsageObserver): string {
    const token = `cca-run-${randomBytes(32).toString('base64url')}`;
    this.live.set(token, { runId, uses: 0, observer, settles: new Set() });
    return token;
  }

  /** Whether `token` is live; counts the use. */
  use(token: string): TokenCheck {
    const live = this.live.get(token);
    if (live !== undefined) {
      live.uses += 1;
      return live.observer === undefined ? { ok: true, runId: live.runId } : { ok: true, runId: live.runId, observer: live.observer };
    }
    const runId = this.ended.get(token);
    return runId === undefined ? { ok: false, reason: 'unknown' } : { ok: false, reason: 'ended', runId };
  }

  /**
   * Runs `settle` when `token` ends, unless the returned function is called first: an answer still
   * streaming when its run ends reports what it used before the run is charged.
   * @example answer.once('close', tokens.track(token, () => tap.end()));
   */
  track(token: string, settle: () => void): () => void {
    const settles = this.live.get(token)?.settles;
    settles?.add(settle);
    return () => void settles?.delete(settle);
  }

  /** Ends `token` (settling its answers under way); returns how often it was used. */
  revoke(token: string): number {
    const live = this.live.get(token);
    if (live === undefined) return 0;
    this.live.delete(token);
    for (const settle of live.settles) settle();
    this.ended.set(token, live.runId);
    if (this.ended.size > REMEMBERED_ENDED) {
      const oldest = this.ended.keys().next().value;
      if (oldest !== undefined) this.ended.delete(oldest);
    }
    return live.uses;
  }

  /** Tokens in use now. */
  get size(): number {
    return this.live.size;
  }
}
