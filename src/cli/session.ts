/**
 * `cca session ID`: one session with each invocation's status, prompt, result, cost, turns and
 * files; `--watch` then follows the invocation in progress to its end, as `cca invoke` shows it.
 */
import { callService, type ConnectionFlags, filesListUrl, resolveConnection, serviceUrl, sessionRoute } from './connection.js';
import type { CommandContext, CommandInput } from './context.js';
import type { CompletedEvent } from './event-stream.js';
import { isOk } from './http-request.js';
import { EXIT, UsageError } from './io.js';
import { describeSessionError, LIVE_STATUSES, renderSessionDetail, SessionDetail } from './session-report.js';
import { openSessionEvents, printCompleted, watchRun } from './watch.js';

type SessionFlags = ConnectionFlags & { watch?: boolean; json?: boolean };

/**
 * Runs `cca session ID` and returns its exit status: 0 shown (with `--watch`: the run succeeded or
 * nothing was running), 1 the request failed, 2 usage, 3 the watched run ended without success, 130 Ctrl-C.
 */
export async function runSession({ values, positionals }: CommandInput<SessionFlags>, ctx: CommandContext): Promise<number> {
  const { env, io } = ctx;
  const now = ctx.now ?? (() => new Date());
  const sessionId = sessionIdOf(positionals, 'session');
  const conn = resolveConnection(values, env, ctx.cwd);
  const opts = { watch: values.watch === true, json: values.json === true };

  const fetchDetail = async (): Promise<{ detail: SessionDetail; text: string } | undefined> => {
    const url = serviceUrl(conn, sessionRoute(sessionId));
    const reply = await callService(io, conn, url, { method: 'GET' });
    if (reply === undefined) return undefined;
    if (!isOk(reply)) {
      io.stderr(`cca: ${describeSessionError(reply, sessionId, url, now())}\n`);
      return undefined;
    }
    const detail = parseDetail(reply.text);
    if (detail === undefined)
      io.stderr(`cca: ${url.href} answered ${reply.status} with a body that is not a session: ${reply.text.slice(0, 300)}\n`);
    return detail && { detail, text: reply.text.trimEnd() };
  };

  const shown = await fetchDetail();
  if (shown === undefined) return EXIT.failure;
  const live = opts.watch ? shown.detail.invocations.find((inv) => LIVE_STATUSES.includes(inv.status)) : undefined;
  if (!opts.json || live === undefined) io.stdout(opts.json ? `${shown.text}\n` : renderSessionDetail(shown.detail));
  if (live === undefined) {
    if (opts.watch && !opts.json) io.stdout(`Nothing is running in session ${sessionId}.\n`);
    return EXIT.ok;
  }

  if (!opts.json) io.stdout(`\nWatching ${live.invocation_id} (Ctrl-C stops watching; the run goes on):\n`);
  const eventsUrl = serviceUrl(conn, sessionRoute(sessionId, '/events'));
  return watchRun(
    io,
    {
      conn,
      first: (signal) => openSessionEvents(conn, sessionId, undefined, signal, ctx.idleTimeoutMs),
      firstUrl: eventsUrl,
      sessionId,
      invocationId: live.invocation_id,
      json: opts.json,
      onReply: (reply) => {
        io.stderr(`cca: ${describeSessionError(reply, sessionId, eventsUrl, now())}\n`);
        return EXIT.failure;
      },
      onCompleted: async (event) => {
        if (!opts.json) return printCompleted(io, event, { json: false, command: 'invoke', filesUrl: filesListUrl(conn) });
        // --json --watch: the session as it is once the run is over.
        const final = await fetchDetail();
        if (final === undefined) return EXIT.failure;
        io.stdout(`${final.text}\n`);
        return succeeded(event) ? EXIT.ok : EXIT.runFailed;
      },
    },
    ctx,
  );
}

/** The one positional argument that names a session. */
export function sessionIdOf(positionals: string[], command: string): string {
  const [id, ...rest] = positionals;
  if (id === undefined || id.trim() === '') throw new UsageError(`name the session: cca ${command} SESSION_ID (cca sessions lists them).`);
  if (rest.length > 0) throw new UsageError(`cca ${command} takes one session id; got ${positionals.length} arguments.`);
  return id.trim();
}

function succeeded(event: CompletedEvent): boolean {
  const output: unknown = event.data.output;
  if (typeof output !== 'object' || output === null || !('output' in output)) return false;
  const inner: unknown = output.output;
  return typeof inner === 'object' && inner !== null && 'success' in inner && inner.success === true;
}

function parseDetail(text: string): SessionDetail | undefined {
  try {
    const parsed = SessionDetail.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
