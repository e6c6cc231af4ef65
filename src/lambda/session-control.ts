/**
 * `POST /sessions/{session_id}/cancel` and `POST /sessions/{session_id}/permissions/{request_id}`
 * on AWS: control payloads (http/control-request.ts) sent to the session's runtime through
 * InvokeAgentRuntime, which routes them to the microVM that runs the session. AgentCore keeps only
 * the status of the runtime's errors; the statuses are turned back into the local routes' errors.
 *
 * A cancel must end the run even when the runtime cannot: when it does not answer, or answers that
 * nothing runs there (a new microVM that never saw the run) while the mirrored state says running
 * and the session's lease has run out (or it has none), the Lambda calls StopRuntimeSession and
 * marks the invocation `cancelled` itself, so the session does not show `running` forever.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ConflictError, NotFoundError, ValidationError } from '../errors/index.js';
import { PERMISSION_BODY_MESSAGE, type ControlRequest } from '../http/index.js';
import { PermissionAnswerSchema, type CancelAccepted } from '../schemas/control.js';
import type { SessionEvent } from '../schemas/events.js';
import {
  eventSegmentKey,
  invocationKey,
  invocationRecordOf,
  stateKey,
  type InvocationRecord,
  type SessionStateRecord,
} from '../state/index.js';
import { lastEvent } from './event-log.js';
import type { LambdaDeps } from './deps.js';
import { bodyText, jsonResult, rawResult } from './http.js';
import { RuntimeUnavailableError } from './runtime.js';
import { isInProgress, leaseExpiry, readState } from './session-records.js';
import { ownedSession } from './sessions.js';

/** The runtime answered that it has no run in the session (404: it does not know it; 409: nothing runs). */
class NothingRunsThere extends ConflictError {}

/** Handles `POST /sessions/{session_id}/cancel` for the caller `keyId`. */
export async function cancelSession(sessionId: string, keyId: string, deps: LambdaDeps): Promise<APIGatewayProxyResult> {
  await ownedSession(sessionId, keyId, deps, 'steer');
  const nothing = () => new NothingRunsThere(`Nothing is running in session ${sessionId}.`);
  const control: ControlRequest = { control: { action: 'cancel' } };
  try {
    const answer = await deps.runtime.invoke(sessionId, control, { 404: nothing, 409: nothing });
    return rawResult(answer.status, answer.contentType, answer.body);
  } catch (err) {
    const silent = err instanceof RuntimeUnavailableError;
    if (!silent && !(err instanceof NothingRunsThere)) throw err;
    const state = await readState(deps.objects, deps.config.prefix, sessionId);
    if (state === undefined || !isInProgress(state)) throw silent ? err : new ConflictError(err.message);
    // The runtime said nothing runs, yet the state says running: believe the state while a
    // worker's lease on the session lasts (the run is alive elsewhere); after that, it died.
    if (!silent) {
      const expiry = await leaseExpiry(deps.objects, deps.config.prefix, sessionId);
      if (expiry !== undefined && expiry > deps.now().getTime()) throw new ConflictError(err.message);
    }
    return jsonResult(202, await stopDeadSession(state, deps));
  }
}

/**
 * Ends the session's microVM and records its invocation as cancelled (record, last event, state),
 * as the runtime would have. The event takes the id after the log's last: a runtime that later
 * continues the session from its own count writes its next segment over it, which loses nothing
 * of that later run.
 */
async function stopDeadSession(state: SessionStateRecord, deps: LambdaDeps): Promise<CancelAccepted> {
  const { objects, config } = deps;
  const sessionId = state.session_id;
  const stopped = await deps.runtime.stop(sessionId);
  deps.logInfo('stopped a session whose runtime no longer ran it', { session_id: sessionId, invocation_id: state.invocation_id, stopped });
  const at = deps.now().toISOString();
  const ended: SessionStateRecord = { ...state, status: 'cancelled', updated_at: at };
  const key = invocationKey(config.prefix, sessionId, state.invocation_id);
  const record = (await objects.getJson(key)) as Partial<InvocationRecord> | undefined;
  await objects.putJson(key, invocationRecordOf(ended, typeof record?.started_at === 'string' ? record.started_at : undefined));
  // The run's last event, as the runtime would have written it: whoever follows the events sees it end.
  const id = ((await lastEvent(objects, config.prefix, sessionId))?.id ?? 0) + 1;
  const completed: SessionEvent = {
    id,
    session_id: sessionId,
    invocation_id: state.invocation_id,
    at,
    type: 'invocation.completed',
    data: { status: 'cancelled', output: null },
  };
  await objects.putText(eventSegmentKey(config.prefix, sessionId, id), `${JSON.stringify(completed)}\n`);
  await objects.putJson(stateKey(config.prefix, sessionId), ended);
  return { session_id: sessionId, invocation_id: state.invocation_id, status: 'cancelling' };
}

/** Handles `POST /sessions/{session_id}/permissions/{request_id}` for the caller `keyId`. */
export async function answerPermission(
  event: APIGatewayProxyEvent,
  sessionId: string,
  requestId: string,
  keyId: string,
  deps: LambdaDeps,
): Promise<APIGatewayProxyResult> {
  // As the local route: the body (413, 400) before the session (404).
  const text = bodyText(event, deps.config.limits.maxBodyBytes);
  const parsed = PermissionAnswerSchema.safeParse(parseOrUndefined(text));
  if (!parsed.success) throw new ValidationError(PERMISSION_BODY_MESSAGE, { field: 'decision' });
  await ownedSession(sessionId, keyId, deps, 'steer');
  const unknown = () => new NotFoundError(`No pending permission request ${requestId} in session ${sessionId}.`);
  // Request ids are UUIDs; anything longer than the control form takes is no pending request.
  if (requestId === '' || requestId.length > 200) throw unknown();
  const { decision, message } = parsed.data;
  const control: ControlRequest = {
    control: { action: 'permission', request_id: requestId, decision, ...(message === undefined ? {} : { message }) },
  };
  const answer = await deps.runtime.invoke(sessionId, control, {
    404: unknown,
    409: () => new ConflictError(`Permission request ${requestId} was already answered.`),
  });
  return rawResult(answer.status, answer.contentType, answer.body);
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
