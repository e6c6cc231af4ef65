/**
 * `cca invoke "task" --runtime-arn ARN` (or `--runtime`, the ARN of deployment.json): the
 * original's invoke_claude_code.sh without its injection. Calls AgentCore's InvokeAgentRuntime
 * with the payload built by JSON.stringify, a session id of at least 33 characters and qualifier
 * DEFAULT, then prints the result as `cca api` does, with the same exit statuses.
 */
import { randomUUID } from 'node:crypto';
import { InvokeAgentRuntimeCommand } from '@aws-sdk/client-bedrock-agentcore';
import { AGENTCORE_QUALIFIER } from '../../infra/defaults.js';
import { printResult } from '../api-report.js';
import { buildRequestBody, promptOf, type InvokeFlags } from '../api.js';
import type { CommandContext, CommandInput } from '../context.js';
import { EXIT, UsageError } from '../io.js';
import { describeAwsError } from './aws-errors.js';
import { awsClients, withDefaults } from './clients.js';
import { requireDeployment, resolveRegion } from './deployment.js';

/** AgentCore's minimum length of a runtime session id. */
export const MIN_SESSION_ID_LENGTH = 33;

const RUNTIME_ARN = /^arn:aws[a-z-]*:bedrock-agentcore:([a-z0-9-]+):\d{12}:runtime\/[A-Za-z0-9_-]+$/;

/**
 * Runs `cca invoke ... --runtime-arn ARN`: 0 success, 1 the call failed, 2 usage, 3 the run did
 * not succeed.
 */
export async function runInvokeRuntime({ values, positionals }: CommandInput<InvokeFlags>, ctx: CommandContext): Promise<number> {
  const { env, io } = ctx;
  const { cwd } = withDefaults(ctx);
  if (values.async)
    throw new UsageError('--async needs the HTTP API (cca invoke without --runtime-arn); a runtime call waits for the result.');
  const arn = values['runtime-arn'] ?? requireDeployment(cwd, 'cca invoke --runtime').runtime_arn;
  const match = RUNTIME_ARN.exec(arn);
  if (!match)
    throw new UsageError(
      `--runtime-arn must be an AgentCore runtime ARN (arn:aws:bedrock-agentcore:REGION:ACCOUNT:runtime/ID); got "${arn}".`,
    );
  const sessionId = values.session ?? randomUUID();
  if (sessionId.length < MIN_SESSION_ID_LENGTH) {
    throw new UsageError(
      `--session must be at least ${MIN_SESSION_ID_LENGTH} characters for AgentCore (got ${sessionId.length}); leave it out to start a new session.`,
    );
  }
  // The session travels as runtimeSessionId (the AgentCore header), not in the body.
  const body = buildRequestBody(promptOf(positionals, 'invoke'), { ...values, session: undefined });
  const hint = values['runtime-arn'] === undefined ? 'invoke --runtime' : `invoke --runtime-arn ${arn}`;
  const request = {
    arn,
    region: resolveRegion(values.region ?? match[1], undefined, env),
    sessionId,
    body,
    json: values.json === true,
    hint,
  };

  const { agentCore } = awsClients(request.region, env, ctx.clients);
  if (!request.json) io.stderr(`Invoking ${request.arn} (session ${request.sessionId}); this can take minutes.\n`);
  let text: string;
  try {
    const answer = await agentCore.send(
      new InvokeAgentRuntimeCommand({
        agentRuntimeArn: request.arn,
        runtimeSessionId: request.sessionId,
        qualifier: AGENTCORE_QUALIFIER,
        contentType: 'application/json',
        accept: 'application/json',
        payload: new TextEncoder().encode(request.body),
      }),
    );
    text = answer.response === undefined ? '' : await answer.response.transformToString('utf-8');
  } catch (err) {
    io.stderr(`cca: ${describeInvokeError(err, request.arn)}\n`);
    return EXIT.failure;
  }
  return printResult(io, text, { json: request.json, source: `AgentCore runtime ${request.arn} answered`, command: request.hint });
}

/** InvokeAgentRuntime's errors, with what to do about the common ones. */
function describeInvokeError(err: unknown, arn: string): string {
  const name = err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : String(err);
  if (name === 'ResourceNotFoundException') return `No runtime ${arn} (${message}): check the ARN and the region (cca info).`;
  if (name === 'ThrottlingException' || name === 'ServiceQuotaExceededException')
    return `AgentCore is throttling (${message}): retry in a few seconds.`;
  if (name === 'RuntimeClientError') return `The runtime failed (${message}): see "cca logs".`;
  if (name === 'ValidationException') return `AgentCore refused the request (${message}).`;
  return describeAwsError(err, 'AgentCore InvokeAgentRuntime');
}
