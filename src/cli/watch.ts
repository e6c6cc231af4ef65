/**
 * Watching a run live, shared by `cca invoke` and `cca session --watch`: progress while it runs,
 * the result when it ends, and every way watching can stop turned into a message and an exit status.
 */
import { describeNetworkError, printResult, type PrintOptions } from './api-report.js';
import { serviceUrl, sessionRoute, type Connection } from './connection.js';
import type { CommandDeps } from './context.js';
import { openEventStream, type CompletedEvent, type OpenedStream } from './event-stream.js';
import { followInvocation } from './follow.js';
import type { HttpReply } from './http-request.js';
import { EXIT, type CliIo } from './io.js';
import { createProgress } from './progress.js';
import { describeSessionError } from './session-report.js';

/** One run to watch. */
export interface WatchPlan {
  conn: Connection;
  /** Opens the first stream; `firstUrl` names it in messages. */
  first(signal: AbortSignal): Promise<OpenedStream>;
  firstUrl: URL;
  sessionId?: string;
  invocationId?: string;
  json: boolean;
  /** Handles an answer to the first request that is not a stream; returns the exit status. */
  onReply(reply: HttpReply): number;
  /** Prints the end of the run; returns the exit status. */
  onCompleted(event: CompletedEvent): Promise<number> | number;
}

/**
 * Follows the run to its end and returns the exit status: the completion handler's, 1 when the
 * service cannot be reached or the stream is lost for good, 130 on Ctrl-C (the run goes on).
 * @example return watchRun(io, { conn, first, firstUrl, json, onReply, onCompleted }, ctx);
 */
export async function watchRun(io: CliIo, plan: WatchPlan, ctx: CommandDeps): Promise<number> {
  const controller = new AbortController();
  const unsubscribe = (ctx.onInterrupt ?? onSigint)(() => controller.abort());
  const progress = createProgress(io, { tty: io.isTTY === true, json: plan.json, ...(ctx.clock ? { clock: ctx.clock } : {}) });
  try {
    const outcome = await followInvocation({
      first: plan.first,
      resume: (sessionId, lastEventId, signal) => openSessionEvents(plan.conn, sessionId, lastEventId, signal, ctx.idleTimeoutMs),
      ...(plan.sessionId !== undefined ? { sessionId: plan.sessionId } : {}),
      ...(plan.invocationId !== undefined ? { invocationId: plan.invocationId } : {}),
      onEvent: (event) => progress.event(event),
      onReconnect: (attempt, of, delayMs, reason) =>
        progress.note(`… ${reason}; reconnecting in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt} of ${of})`),
      ...(ctx.retryDelaysMs ? { retryDelaysMs: ctx.retryDelaysMs } : {}),
      signal: controller.signal,
    });
    progress.stop();
    switch (outcome.kind) {
      case 'completed':
        return await plan.onCompleted(outcome.event);
      case 'reply':
        return plan.onReply(outcome.reply);
      case 'unreachable':
        io.stderr(`cca: ${describeNetworkError(outcome.error, plan.firstUrl.href)}\n`);
        return EXIT.failure;
      case 'lost': {
        const { reply, sessionId } = outcome;
        const refusal =
          reply && sessionId !== undefined
            ? `: ${describeSessionError(reply, sessionId, serviceUrl(plan.conn, sessionRoute(sessionId, '/events')), (ctx.now ?? (() => new Date()))())}`
            : '.';
        const where = outcome.sessionId === undefined ? 'find the session with cca sessions' : goOn(outcome.sessionId);
        io.stderr(`cca: lost the run's event stream: ${outcome.reason}${refusal}\n  The run goes on on the service: ${where}.\n`);
        return EXIT.failure;
      }
      case 'interrupted':
        io.stderr(
          outcome.sessionId === undefined
            ? 'Stopped watching before the service named the session; the run may go on: find it with cca sessions.\n'
            : `Stopped watching; the run goes on on the service.\n  Watch it again:  cca session ${outcome.sessionId} --watch\n  Cancel it:       cca cancel ${outcome.sessionId}\n`,
        );
        return EXIT.interrupted;
    }
  } finally {
    progress.stop();
    unsubscribe();
  }
}

/**
 * Prints the final event's output as `cca api` prints a response (`--json`: the output JSON only).
 * @example return printCompleted(io, event, { json: false, command: 'invoke' });
 */
export function printCompleted(io: CliIo, event: CompletedEvent, opts: Omit<PrintOptions, 'source'>): number {
  if (event.data.output === null) {
    if (opts.json) io.stdout('null\n');
    io.stderr(`cca: invocation ${event.invocation_id} ended ${event.data.status} without a result.\n`);
    return EXIT.runFailed;
  }
  const source = `the final event of invocation ${event.invocation_id}`;
  return printResult(io, JSON.stringify(event.data.output), { ...opts, source });
}

/**
 * `GET /sessions/{id}/events`, resuming after `lastEventId` (sent as `Last-Event-ID`) when given.
 * @example const opened = await openSessionEvents(conn, 'sess_1', 41, signal);
 */
export function openSessionEvents(
  conn: Connection,
  sessionId: string,
  lastEventId: number | undefined,
  signal: AbortSignal,
  idleMs?: number,
): Promise<OpenedStream> {
  const headers: Record<string, string> = { 'x-api-key': conn.apiKey };
  if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
  return openEventStream(serviceUrl(conn, sessionRoute(sessionId, '/events')), { method: 'GET', headers }, signal, idleMs);
}

function goOn(sessionId: string): string {
  return `watch it with cca session ${sessionId} --watch, or cancel it with cca cancel ${sessionId}`;
}

function onSigint(handler: () => void): () => void {
  process.on('SIGINT', handler);
  return () => void process.off('SIGINT', handler);
}
