/**
 * A key's cap on runs in progress at once, on AWS. Locally a key has `max_concurrent` run slots
 * (4 by default) and a queue behind them; API Gateway keys have no such record, and a session on
 * AgentCore gets its own microVM at once, so there is no queue to wait in: a key over its cap
 * (KEY_MAX_CONCURRENT, default 4; 0 turns it off) gets 429 `key_queue_full` with Retry-After.
 *
 * The Lambda marks each run it dispatches, `<prefix>/owners/<key id>/active/<session id>` =
 * `{"since", "invocation_id"?}`, and counts the key's marks before the next dispatch. A sync run's
 * mark goes when its answer comes back; an async run's names its invocation, and goes once that
 * invocation's record says it ended (or its lease ran out). A mark nobody cleared (a Lambda that
 * died mid-call) stops counting after the longest run the deployment allows. Two dispatches of one
 * key at the same instant can both pass: the cap is a limit on usage, not a lock.
 */
import { KeyQueueFullError } from '../errors/index.js';
import { invocationKey, isEnded, type InvocationRecord } from '../state/index.js';
import { prefixed, type SessionObjects } from './objects.js';
import { leaseExpiry, mapLimit } from './session-records.js';

/** Seconds a refused caller is told to wait. */
const RETRY_AFTER_S = 10;
/** How long past the longest run a mark with no answer is still believed. */
const STALE_MARGIN_MS = 10 * 60_000;

interface Mark {
  since: string;
  invocation_id?: string;
}

/** The folder of a key's marks (ends with `/`). */
export function activeRunsPrefix(prefix: string, keyId: string): string {
  return prefixed(prefix, `owners/${encodeURIComponent(keyId)}/active/`);
}

export interface RunCapOptions {
  /** Runs a key may have in progress at once; 0: no cap. */
  cap: number;
  /** The longest run the deployment allows (CCA_TIMEOUT_S_LIMIT), in seconds. */
  maxRunS: number;
  now: Date;
}

/** The mark of one dispatched run: say which invocation it became, or take it away. */
export interface RunMark {
  /** The run was accepted to go on in the background as `invocationId`. */
  accepted(invocationId: string): Promise<void>;
  /** The run's answer came back (or it never started). */
  done(): Promise<void>;
}

/**
 * Admits one run of `keyId` in `sessionId` (429 over the cap) and marks it.
 * @example const mark = await admitRun(objects, prefix, keyId, sessionId, { cap: 4, maxRunS: 3600, now: new Date() });
 */
export async function admitRun(
  objects: SessionObjects,
  prefix: string,
  keyId: string,
  sessionId: string,
  opts: RunCapOptions,
): Promise<RunMark> {
  const folder = activeRunsPrefix(prefix, keyId);
  const key = `${folder}${sessionId}`;
  if (opts.cap <= 0) return { accepted: async () => undefined, done: async () => undefined };
  const keys = (await objects.list(folder)).keys;
  const live = await mapLimit(keys, 8, (k) => isLive(objects, prefix, k, k.slice(folder.length), opts));
  // A session runs one invocation at a time: while its own mark stands, the runtime answers 409,
  // and that mark belongs to the run in progress, not to this request.
  if (live[keys.indexOf(key)] === true) return { accepted: async () => undefined, done: async () => undefined };
  const running = live.filter(Boolean).length;
  if (running >= opts.cap) {
    throw new KeyQueueFullError(
      `This API key already has ${running} runs in progress, the most it may have at once (KEY_MAX_CONCURRENT=${opts.cap}); retry once one has finished.`,
      RETRY_AFTER_S,
    );
  }
  const since = opts.now.toISOString();
  await objects.putJson(key, { since } satisfies Mark);
  return {
    accepted: (invocationId) => objects.putJson(key, { since, invocation_id: invocationId } satisfies Mark),
    done: () => objects.delete(key),
  };
}

/** Whether a mark still stands for a run in progress; a mark that does not is taken away. */
async function isLive(objects: SessionObjects, prefix: string, key: string, sessionId: string, opts: RunCapOptions): Promise<boolean> {
  const mark = (await objects.getJson(key)) as Partial<Mark> | undefined;
  if (mark === undefined) return false;
  const since = typeof mark.since === 'string' ? Date.parse(mark.since) : Number.NaN;
  let live = Number.isFinite(since) && opts.now.getTime() - since < opts.maxRunS * 1000 + STALE_MARGIN_MS;
  if (live && typeof mark.invocation_id === 'string') {
    const record = (await objects.getJson(invocationKey(prefix, sessionId, mark.invocation_id))) as InvocationRecord | undefined;
    if (record !== undefined && isEnded(record.status)) live = false;
    else if (record !== undefined) {
      const expiry = await leaseExpiry(objects, prefix, sessionId);
      live = expiry === undefined || expiry > opts.now.getTime();
    }
  }
  // Best effort: a mark left behind is looked at again next time.
  if (!live) await objects.delete(key).catch(() => undefined);
  return live;
}
