/**
 * `cca approve ID REQUEST [--deny]`: answers a tool use waiting for approval (permission mode
 * `manual`); `cca invoke` prints the command with both ids when a request arrives.
 */
import { parseArgs } from 'node:util';
import { callService, CONNECTION_OPTIONS, resolveConnection, serviceUrl, sessionRoute, type Connection } from './connection.js';
import { APPROVE_USAGE } from './help.js';
import { isOk } from './http-request.js';
import { EXIT, UsageError, usageFailure, type CliIo } from './io.js';
import { describeSessionError, messageOf } from './session-report.js';

const APPROVE_OPTIONS = {
  ...CONNECTION_OPTIONS,
  deny: { type: 'boolean' },
  message: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Where the command runs: the working directory (for a relative data dir) and the clock. */
export interface ApproveCommandContext {
  cwd?: string;
  now?: () => Date;
}

/**
 * Runs `cca approve` and returns its exit status: 0 answered, 1 no such request, already answered,
 * or the request failed, 2 usage.
 * @example process.exitCode = await approveCommand(['sess_1', 'req_1', '--deny', '--message', 'not there'], process.env, processIo);
 */
export async function approveCommand(args: string[], env: NodeJS.ProcessEnv, io: CliIo, ctx: ApproveCommandContext = {}): Promise<number> {
  let conn: Connection;
  let target: { sessionId: string; requestId: string; decision: 'allow' | 'deny'; message: string | undefined };
  try {
    const { values, positionals } = parseArgs({ args, options: APPROVE_OPTIONS, strict: true, allowPositionals: true });
    if (values.help) {
      io.stdout(APPROVE_USAGE);
      return EXIT.ok;
    }
    const [sessionId, requestId, ...rest] = positionals.map((p) => p.trim());
    if (!sessionId || !requestId || rest.length > 0) {
      throw new UsageError('name the session and the request: cca approve SESSION_ID REQUEST_ID [--deny] (cca invoke prints both).');
    }
    target = { sessionId, requestId, decision: values.deny ? 'deny' : 'allow', message: values.message };
    conn = resolveConnection(values, env, ctx.cwd);
  } catch (err) {
    const code = usageFailure(err, io);
    if (code === undefined) throw err;
    return code;
  }

  const { sessionId, requestId, decision } = target;
  const url = serviceUrl(conn, sessionRoute(sessionId, `/permissions/${encodeURIComponent(requestId)}`));
  const reply = await callService(io, conn, url, { method: 'POST', body: JSON.stringify({ decision, message: target.message }) });
  if (reply === undefined) return EXIT.failure;
  if (reply.status === 404 || reply.status === 409) {
    const problem =
      reply.status === 404
        ? `No permission request ${requestId} is waiting in session ${sessionId} (404): check both ids, or the request may have expired.`
        : `Permission request ${requestId} was already answered (409).`;
    const said = messageOf(reply);
    io.stderr(`cca: ${problem}${said ? ` The service said: ${said}` : ''}\n`);
    return EXIT.failure;
  }
  if (!isOk(reply)) {
    io.stderr(`cca: ${describeSessionError(reply, sessionId, url, (ctx.now ?? (() => new Date()))())}\n`);
    return EXIT.failure;
  }
  io.stdout(`${decision === 'allow' ? 'Allowed' : 'Denied'} request ${requestId} in session ${sessionId}.\n`);
  return EXIT.ok;
}
