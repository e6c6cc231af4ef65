/**
 * `cca sessions`: the caller's sessions, newest first, as a table; `--all` follows `next_cursor`
 * through every page.
 */
import { describeHttpError } from './api-report.js';
import { positiveInteger } from './api.js';
import { callService, type ConnectionFlags, resolveConnection, serviceUrl } from './connection.js';
import type { CommandContext, CommandInput } from './context.js';
import { isOk } from './http-request.js';
import { EXIT, UsageError } from './io.js';
import { renderSessionList, SessionPage, type SessionRow } from './session-report.js';

/** The service's largest page. */
const MAX_LIMIT = 100;

type SessionsFlags = ConnectionFlags & { limit?: string; all?: boolean; json?: boolean };

/**
 * Runs `cca sessions` and returns its exit status: 0 listed, 1 the request failed, 2 usage.
 */
export async function runSessions({ values, positionals }: CommandInput<SessionsFlags>, ctx: CommandContext): Promise<number> {
  const { env, io } = ctx;
  const now = ctx.now ?? (() => new Date());
  if (positionals.length > 0) throw new UsageError(`cca sessions takes no arguments; for one session: cca session ${positionals[0]}.`);
  const limit = values.limit === undefined ? undefined : positiveInteger('--limit', values.limit);
  if (limit !== undefined && limit > MAX_LIMIT) throw new UsageError(`--limit must be at most ${MAX_LIMIT}; got ${limit}.`);
  const conn = resolveConnection(values, env, ctx.cwd);
  const opts = { limit, all: values.all === true, json: values.json === true };

  const sessions: SessionRow[] = [];
  let cursor: string | undefined;
  let firstText = '';
  for (;;) {
    const url = serviceUrl(conn, '/sessions', { limit: opts.limit?.toString(), cursor });
    const reply = await callService(io, conn, url, { method: 'GET' });
    if (reply === undefined) return EXIT.failure;
    if (!isOk(reply)) {
      io.stderr(`cca: ${describeHttpError(reply, url.href, now())}\n`);
      return EXIT.failure;
    }
    const page = parsePage(reply.text);
    if (page === undefined) {
      io.stderr(`cca: ${url.href} answered ${reply.status} with a body that is not a list of sessions: ${reply.text.slice(0, 300)}\n`);
      return EXIT.failure;
    }
    if (firstText === '') firstText = reply.text;
    sessions.push(...page.sessions);
    cursor = page.next_cursor ?? undefined;
    if (!opts.all || cursor === undefined) break;
  }

  if (opts.json) {
    // One page: the body as received. All pages: the same shape, with nothing left to fetch.
    const text = opts.all ? JSON.stringify({ sessions, next_cursor: null }) : firstText.trimEnd();
    io.stdout(`${text}\n`);
    return EXIT.ok;
  }
  io.stdout(renderSessionList(sessions));
  if (cursor !== undefined) io.stdout(`More sessions: cca sessions --all${opts.limit === undefined ? '' : ` --limit ${opts.limit}`}\n`);
  return EXIT.ok;
}

function parsePage(text: string) {
  try {
    const parsed = SessionPage.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
