/**
 * `cca sessions`: the caller's sessions, newest first, as a table; `--all` follows `next_cursor`
 * through every page.
 */
import { parseArgs } from 'node:util';
import { describeHttpError } from './api-report.js';
import { positiveInteger } from './api.js';
import { callService, CONNECTION_OPTIONS, resolveConnection, serviceUrl, type Connection } from './connection.js';
import { SESSIONS_USAGE } from './help.js';
import { isOk } from './http-request.js';
import { EXIT, UsageError, usageFailure, type CliIo } from './io.js';
import { renderSessionList, SessionPage, type SessionRow } from './session-report.js';

const SESSIONS_OPTIONS = {
  ...CONNECTION_OPTIONS,
  limit: { type: 'string' },
  all: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The service's largest page. */
const MAX_LIMIT = 100;

/** Where the command runs: the working directory (for a relative data dir) and the clock. */
export interface SessionsCommandContext {
  cwd?: string;
  now?: () => Date;
}

/**
 * Runs `cca sessions` and returns its exit status: 0 listed, 1 the request failed, 2 usage.
 * @example process.exitCode = await sessionsCommand(['--all'], process.env, processIo);
 */
export async function sessionsCommand(
  args: string[],
  env: NodeJS.ProcessEnv,
  io: CliIo,
  ctx: SessionsCommandContext = {},
): Promise<number> {
  const now = ctx.now ?? (() => new Date());
  let conn: Connection;
  let opts: { limit: number | undefined; all: boolean; json: boolean };
  try {
    const { values, positionals } = parseArgs({ args, options: SESSIONS_OPTIONS, strict: true, allowPositionals: true });
    if (values.help) {
      io.stdout(SESSIONS_USAGE);
      return EXIT.ok;
    }
    if (positionals.length > 0) throw new UsageError(`cca sessions takes no arguments; for one session: cca session ${positionals[0]}.`);
    const limit = values.limit === undefined ? undefined : positiveInteger('--limit', values.limit);
    if (limit !== undefined && limit > MAX_LIMIT) throw new UsageError(`--limit must be at most ${MAX_LIMIT}; got ${limit}.`);
    conn = resolveConnection(values, env, ctx.cwd);
    opts = { limit, all: values.all === true, json: values.json === true };
  } catch (err) {
    const code = usageFailure(err, io);
    if (code === undefined) throw err;
    return code;
  }

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
