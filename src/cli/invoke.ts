/**
 * `cca invoke "task"`: sends the task to `/invoke` as an event stream and shows the run live
 * (tool calls, approvals, stored files), then the result as `cca api` prints it. The stream is
 * resumed when the connection drops; Ctrl-C stops watching, not the run. `--async` only starts it.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { describeHttpError, printResult } from './api-report.js';
import { buildRequestBody, promptOf, type InvokeFlags } from './api.js';
import { callService, filesListUrl, resolveConnection } from './connection.js';
import type { CommandContext, CommandInput } from './context.js';
import { openEventStream } from './event-stream.js';
import { isOk, type HttpReply } from './http-request.js';
import { EXIT, type CliIo } from './io.js';
import { uploadInputs } from './upload-inputs.js';
import { printCompleted, watchRun } from './watch.js';

/** The 202 answer to an asynchronous invocation. */
const Accepted = z.object({
  session_id: z.string(),
  invocation_id: z.string(),
  status_url: z.string().optional(),
  events_url: z.string().optional(),
});

/**
 * Runs `cca invoke` and returns its exit status: 0 success (or started, with `--async`), 1 the
 * request failed or the stream was lost, 2 usage, 3 the run ended without success, 130 Ctrl-C.
 */
export async function runInvoke({ values, positionals }: CommandInput<InvokeFlags>, ctx: CommandContext): Promise<number> {
  const { env, io } = ctx;
  // Straight to an AgentCore Runtime with AWS credentials, as the original's invoke_claude_code.sh.
  if (values.runtime === true || values['runtime-arn'] !== undefined) {
    const { runInvokeRuntime } = await import('./aws/invoke-runtime.js');
    return runInvokeRuntime({ values, positionals }, ctx);
  }
  const now = ctx.now ?? (() => new Date());
  const conn = resolveConnection(values, env, ctx.cwd);
  const prompt = promptOf(positionals, 'invoke');
  const inputs = { files: values.file ?? [], dir: values.dir };
  if (inputs.files.length > 0 || inputs.dir !== undefined) {
    // The session is named here, so the upload creates it and the task runs in it.
    values.session ??= randomUUID();
    const failed = await uploadInputs(io, conn, values.session, inputs, ctx.cwd ?? process.cwd());
    if (failed !== undefined) return failed;
  }
  const body = buildRequestBody(prompt, values, ctx.env);
  const flags = { async: values.async === true, json: values.json === true };

  const url = conn.invokeUrl;
  const source = (reply: HttpReply) => `${url.href} answered ${reply.status}`;
  if (flags.async) {
    const reply = await callService(io, conn, url, { method: 'POST', body });
    if (reply === undefined) return EXIT.failure;
    if (!isOk(reply)) {
      io.stderr(`cca: ${describeHttpError(reply, url.href, now())}\n`);
      return EXIT.failure;
    }
    return printStarted(io, reply, flags.json, source(reply));
  }

  return watchRun(
    io,
    {
      conn,
      first: (signal) => openEventStream(url, { method: 'POST', headers: { 'x-api-key': conn.apiKey }, body }, signal, ctx.idleTimeoutMs),
      firstUrl: url,
      json: flags.json,
      onReply: (reply) => {
        if (!isOk(reply)) {
          io.stderr(`cca: ${describeHttpError(reply, url.href, now())}\n`);
          return EXIT.failure;
        }
        // A service that does not stream (the original's API Gateway) answers with the whole result.
        return printResult(io, reply.text, { json: flags.json, source: source(reply), command: 'invoke', filesUrl: filesListUrl(conn) });
      },
      onCompleted: (event) => printCompleted(io, event, { json: flags.json, command: 'invoke', filesUrl: filesListUrl(conn) }),
    },
    ctx,
  );
}

/** Prints the ids and links of a run started with `--async` (`--json`: the body as received). */
function printStarted(io: CliIo, reply: HttpReply, json: boolean, source: string): number {
  let accepted: z.infer<typeof Accepted> | undefined;
  try {
    const parsed = Accepted.safeParse(JSON.parse(reply.text));
    accepted = parsed.success ? parsed.data : undefined;
  } catch {
    accepted = undefined;
  }
  // A service that ignores `async` runs the task and answers with its result.
  if (accepted === undefined) return printResult(io, reply.text, { json, source, command: 'invoke' });
  if (json) {
    io.stdout(reply.text.endsWith('\n') ? reply.text : `${reply.text}\n`);
    return EXIT.ok;
  }
  const session = accepted.session_id;
  const facts: [string, string | undefined][] = [
    ['session', session],
    ['invocation', accepted.invocation_id],
    ['status', accepted.status_url],
    ['events', accepted.events_url],
  ];
  const lines = ['Started; the run goes on on the service.'];
  for (const [label, value] of facts) if (value !== undefined) lines.push(`  ${`${label}:`.padEnd(13)}${value}`);
  lines.push(`Watch it:   cca session ${session} --watch`, `Cancel it:  cca cancel ${session}`);
  io.stdout(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
