/**
 * Follows one invocation's events to its `invocation.completed`, reconnecting when the stream
 * breaks: the run goes on on the service, and `Last-Event-ID` makes the service resend exactly
 * what was missed. The transport is injected, so the loop is tested without timing tricks.
 */
import type { SessionEvent } from '../schemas/events.js';
import { StreamIdleError, toSessionEvent, type CompletedEvent, type OpenedStream } from './event-stream.js';
import type { HttpReply } from './http-request.js';
import { plural } from './table.js';

/** Waits (in milliseconds) before each reconnect attempt; their count is the number of attempts. */
export const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000] as const;

/** What to follow and how to (re)open its stream. */
export interface FollowOptions {
  /** The first request: `POST /invoke` as a stream, or the session's events. */
  first(signal: AbortSignal): Promise<OpenedStream>;
  /** `GET /sessions/{id}/events`, after `lastEventId` when one was seen. */
  resume(sessionId: string, lastEventId: number | undefined, signal: AbortSignal): Promise<OpenedStream>;
  /** Known up front when watching a session; otherwise taken from the first event. */
  sessionId?: string;
  /** Only this invocation's events count; taken from the first event when not given. */
  invocationId?: string;
  onEvent(event: SessionEvent): void;
  /** Told before each reconnect attempt (1-based) why and how long it waits. */
  onReconnect?(attempt: number, of: number, delayMs: number, reason: string): void;
  retryDelaysMs?: readonly number[];
  /** Ctrl-C: stops following at once. */
  signal: AbortSignal;
}

/** How following ended. */
export type FollowOutcome =
  | { kind: 'completed'; event: CompletedEvent }
  /** The first request was answered without a stream (an error, or a non-streaming service's JSON). */
  | { kind: 'reply'; reply: HttpReply }
  /** The first request got no answer at all. */
  | { kind: 'unreachable'; error: unknown }
  /** The stream broke and could not be resumed; `reply` is the refusal, when there was one. */
  | { kind: 'lost'; sessionId?: string; reason: string; reply?: HttpReply }
  | { kind: 'interrupted'; sessionId?: string };

/**
 * Reads events until the invocation completes; events already seen (id at or below the last one)
 * are never delivered twice, and events of other invocations of the session are skipped.
 * @example const outcome = await followInvocation({ first, resume, onEvent: progress.event, signal });
 */
export async function followInvocation(o: FollowOptions): Promise<FollowOutcome> {
  const delays = o.retryDelaysMs ?? RECONNECT_DELAYS_MS;
  let sessionId = o.sessionId;
  let invocationId = o.invocationId;
  let lastId: number | undefined;
  const interrupted = (): FollowOutcome => ({ kind: 'interrupted', sessionId });

  let opened: OpenedStream;
  try {
    opened = await o.first(o.signal);
  } catch (error) {
    return o.signal.aborted ? interrupted() : { kind: 'unreachable', error };
  }
  if (opened.kind === 'reply') return opened;

  let failures = 0;
  for (;;) {
    let progressed = false;
    let reason = 'the stream ended before the run did';
    try {
      for await (const message of opened.messages) {
        const event = toSessionEvent(message);
        if (event === undefined || (lastId !== undefined && event.id <= lastId)) continue;
        lastId = event.id;
        progressed = true;
        sessionId ??= event.session_id;
        invocationId ??= event.invocation_id;
        if (event.invocation_id !== invocationId) continue;
        o.onEvent(event);
        if (event.type === 'invocation.completed') return { kind: 'completed', event };
      }
    } catch (err) {
      // A silent stream was open and healthy when it started: reconnecting is routine, not a failure.
      if (err instanceof StreamIdleError) progressed = true;
      reason = err instanceof StreamIdleError ? `the stream went silent (${err.message})` : `the connection dropped (${describe(err)})`;
    } finally {
      opened.close();
    }
    if (o.signal.aborted) return interrupted();
    if (progressed) failures = 0;

    // Reconnect until a stream opens, the attempts run out, or the service refuses.
    for (;;) {
      if (sessionId === undefined || invocationId === undefined) {
        return { kind: 'lost', sessionId, reason: `${reason} before the service sent any event` };
      }
      const delay = delays[failures];
      if (delay === undefined) return { kind: 'lost', sessionId, reason: `${reason}; gave up after ${plural(delays.length, 'attempt')}` };
      failures++;
      o.onReconnect?.(failures, delays.length, delay, reason);
      if (!(await sleep(delay, o.signal))) return interrupted();
      try {
        const next = await o.resume(sessionId, lastId, o.signal);
        if (next.kind === 'stream') {
          opened = next;
          break;
        }
        if (!retryable(next.reply.status)) return { kind: 'lost', sessionId, reason: `the service refused to resume`, reply: next.reply };
        reason = `the service answered ${next.reply.status}`;
      } catch (err) {
        if (o.signal.aborted) return interrupted();
        reason = `no answer (${describe(err)})`;
      }
    }
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  return err.message || code || err.name;
}

/** 429 and 5xx may pass; anything else (403, 404) will not. */
function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (finished: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(finished);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
