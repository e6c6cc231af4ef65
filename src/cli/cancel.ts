/**
 * `cca cancel ID`: stops the run in progress in a session. The service stores the files written
 * so far, and the run's last event says how it ended.
 */
import { callService, type ConnectionFlags, resolveConnection, serviceUrl, sessionRoute } from './connection.js';
import type { CommandContext, CommandInput } from './context.js';
import { isOk } from './http-request.js';
import { EXIT } from './io.js';
import { describeSessionError } from './session-report.js';
import { sessionIdOf } from './session.js';

/**
 * Runs `cca cancel ID` and returns its exit status: 0 cancelling, 1 nothing was running or the
 * request failed, 2 usage.
 */
export async function runCancel({ values, positionals }: CommandInput<ConnectionFlags>, ctx: CommandContext): Promise<number> {
  const { env, io } = ctx;
  const sessionId = sessionIdOf(positionals, 'cancel');
  const conn = resolveConnection(values, env, ctx.cwd);

  const url = serviceUrl(conn, sessionRoute(sessionId, '/cancel'));
  const reply = await callService(io, conn, url, { method: 'POST', body: '{}' });
  if (reply === undefined) return EXIT.failure;
  if (reply.status === 409) {
    io.stderr(`cca: Nothing is running in session ${sessionId}: there is nothing to cancel.\n`);
    return EXIT.failure;
  }
  if (!isOk(reply)) {
    io.stderr(`cca: ${describeSessionError(reply, sessionId, url, (ctx.now ?? (() => new Date()))())}\n`);
    return EXIT.failure;
  }
  const invocation = invocationOf(reply.text);
  io.stdout(
    `Cancelling ${invocation === undefined ? 'the run' : `invocation ${invocation}`} in session ${sessionId}; files written so far will be stored.\n` +
      `  See how it ended: cca session ${sessionId} --watch\n`,
  );
  return EXIT.ok;
}

function invocationOf(text: string): string | undefined {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null && 'invocation_id' in body && typeof body.invocation_id === 'string')
      return body.invocation_id;
  } catch {
    // The status says enough.
  }
  return undefined;
}
