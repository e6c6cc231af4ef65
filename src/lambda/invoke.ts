/**
 * `POST /invoke` on AWS: validate as the local gateway does, claim the session for the caller's API
 * key, run it on the AgentCore runtime, answer. Synchronous calls return the runtime's answer
 * unchanged; API Gateway cuts synchronous integrations at 29 s by default, which is why async
 * exists: the runtime answers 202 at once and keeps running (AgentCore keeps the session's microVM
 * while /ping says HealthyBusy), and the caller polls GET /sessions/{id}. A key has at most
 * KEY_MAX_CONCURRENT runs in progress at once (run-cap.ts).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { AsyncAccepted } from '../schemas/control.js';
import { parseInvocation, parseJsonBody, SESSION_HEADER } from '../http/index.js';
import { checkMcpRequest } from '../mcp/selection.js';
import type { LambdaDeps } from './deps.js';
import { apiBase, bodyText, header, jsonResult, rawResult } from './http.js';
import { claimSession } from './owners.js';
import { admitRun } from './run-cap.js';
import { RuntimeUnavailableError, type RuntimeAnswer } from './runtime.js';
import { sessionIdFor } from './session-id.js';

/** The 202 of an async invocation on AWS: no event stream behind API Gateway, so no `events_url`. */
export type AsyncAcceptedOnAws = Omit<AsyncAccepted, 'events_url'>;

/** Handles `POST /invoke` for the caller `keyId`. */
export async function postInvoke(event: APIGatewayProxyEvent, keyId: string, deps: LambdaDeps): Promise<APIGatewayProxyResult> {
  const { config } = deps;
  const request = parseInvocation(parseJsonBody(bodyText(event, config.limits.maxBodyBytes)), config.limits);
  // Server names here; whether the named tools exist only the runtime can tell (it holds the connections).
  if (config.mcp !== undefined) checkMcpRequest({ servers: request.mcpServers, tools: request.mcpTools }, config.mcp);
  const wantsAsync = request.async || /\brespond-async\b/i.test(header(event, 'prefer') ?? '');
  const { sessionId, isNew } = sessionIdFor(header(event, SESSION_HEADER) || undefined, request.sessionId);
  await claimSession(deps.objects, config.prefix, sessionId, keyId, { isNew, now: deps.now() });
  const mark = await admitRun(deps.objects, config.prefix, keyId, sessionId, {
    cap: config.keyMaxConcurrent,
    maxRunS: config.limits.timeoutSLimit,
    now: deps.now(),
  });
  // The mark only counts runs: failing to update it must not fail the run's answer.
  const keep = (work: Promise<void>) =>
    work.catch((err: unknown) => deps.logError('could not update the run mark', { session_id: sessionId, error: String(err) }));

  // The validated request in its flat form: what the runtime gets is exactly what was checked here.
  const payload: Record<string, unknown> = { ...request.raw, session_id: sessionId };
  // The recorded form leaves the git token out; the runtime, which clones and pushes, needs it.
  if (request.gitCredential !== undefined) payload.git_token = request.gitCredential.token;
  // Likewise the headers of the request's own MCP servers.
  if (request.mcpServers !== undefined) payload.mcp_servers = request.mcpServers;
  if (wantsAsync) payload.async = true;
  let answer: RuntimeAnswer;
  try {
    answer = await deps.runtime.invoke(sessionId, payload);
  } catch (err) {
    await keep(mark.done());
    throw err;
  }
  // Sync, or a runtime that ran it to the end anyway: its answer is the answer.
  if (!wantsAsync || answer.status !== 202) {
    await keep(mark.done());
    return rawResult(answer.status, answer.contentType, answer.body);
  }

  const invocationId = invocationIdOf(answer.body);
  await keep(mark.accepted(invocationId));
  const statusUrl = `${apiBase(event, '/invoke')}/sessions/${encodeURIComponent(sessionId)}`;
  const accepted: AsyncAcceptedOnAws = { session_id: sessionId, invocation_id: invocationId, status: 'queued', status_url: statusUrl };
  return jsonResult(202, accepted, { 'Preference-Applied': 'respond-async', Location: statusUrl });
}

function invocationIdOf(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const id = (parsed as { invocation_id?: unknown } | undefined)?.invocation_id;
  if (typeof id !== 'string') throw new RuntimeUnavailableError('The agent runtime accepted the task but did not say its invocation id.');
  return id;
}
