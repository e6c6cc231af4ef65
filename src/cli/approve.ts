/**
 * `cca approve ID REQUEST [--deny]`: answers a tool use waiting for approval (permission mode
 * `manual`); `cca invoke` prints the command with both ids when a request arrives.
 */
import { callService, type ConnectionFlags, resolveConnection, serviceUrl, sessionRoute } from './connection.js';
import type { CommandContext, CommandInput } from './context.js';
import { isOk } from './http-request.js';
import { EXIT, UsageError } from './io.js';
import { describeSessionError, messageOf } from './session-report.js';

type ApproveFlags = ConnectionFlags & { deny?: boolean; message?: string };

/**
 * Runs `cca approve` and returns its exit status: 0 answered, 1 no such request, already answered,
 * or the request failed, 2 usage.
 */
export async function runApprove({ values, positionals }: CommandInput<ApproveFlags>, ctx: CommandContext): Promise<number> {
  const { env, io } = ctx;
  const [sessionId, requestId, ...rest] = positionals.map((p) => p.trim());
  if (!sessionId || !requestId || rest.length > 0) {
    throw new UsageError('name the session and the request: cca approve SESSION_ID REQUEST_ID [--deny] (cca invoke prints both).');
  }
  const decision = values.deny ? 'deny' : 'allow';
  const conn = resolveConnection(values, env, ctx.cwd);

  const url = serviceUrl(conn, sessionRoute(sessionId, `/permissions/${encodeURIComponent(requestId)}`));
  const reply = await callService(io, conn, url, { method: 'POST', body: JSON.stringify({ decision, message: values.message }) });
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
