/**
 * `GET /sessions/{session_id}/events` on AWS: the local route's replay, from the event log the
 * runtime mirrors to the bucket, as `text/event-stream`. API Gateway's REST integration cannot
 * stream, so the answer is buffered: everything after `Last-Event-ID` / `after` (at most 1,000
 * events or 3 MB; the client resumes after the last id), or, when there is nothing newer and the
 * session runs, whatever arrives while it waits (long-poll, up to EVENTS_WAIT_S). While the session
 * runs the answer carries `retry: 1000`, so an EventSource reconnects after a second and so follows
 * the run live, a batch at a time.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { formatSse } from '../events/sse.js';
import { parseEventId } from '../http/index.js';
import type { SessionEvent } from '../schemas/events.js';
import { isEnded } from '../state/index.js';
import type { LambdaDeps } from './deps.js';
import { eventsAfter, lastEvent } from './event-log.js';
import { CORS_HEADERS, header } from './http.js';
import { isInProgress, leaseExpiry, readState } from './session-records.js';
import { ownedSession } from './sessions.js';

/** How often a long-poll looks for new events. */
export const EVENTS_POLL_MS = 1000;
/**
 * How long after its run ended a session is still followed while its log lacks the run's
 * `invocation.completed`: the final state and the last segment are written at once, and either can
 * land first.
 */
const SETTLE_MS = 10_000;

/** Handles `GET /sessions/{session_id}/events` for the caller `keyId`. */
export async function sessionEvents(
  event: APIGatewayProxyEvent,
  sessionId: string,
  keyId: string,
  deps: LambdaDeps,
): Promise<APIGatewayProxyResult> {
  const { objects, config } = deps;
  await ownedSession(sessionId, keyId, deps);
  // As the local route: the session first (404), then Last-Event-ID, which wins over `after`.
  const afterId = parseEventId(header(event, 'last-event-id') ?? event.queryStringParameters?.after);
  const read = () => eventsAfter(objects, config.prefix, sessionId, afterId);
  const deadline = deps.now().getTime() + config.eventsWaitS * 1000;
  let events = await read();
  let following = await isFollowed(sessionId, deps);
  while (events.length === 0 && following && deps.now().getTime() < deadline) {
    await deps.sleep(EVENTS_POLL_MS);
    events = await read();
    if (events.length === 0) following = await isFollowed(sessionId, deps);
  }
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', ...CORS_HEADERS },
    body: (following ? 'retry: 1000\n\n' : '') + events.map((e: SessionEvent) => formatSse(e)).join(''),
  };
}

/**
 * Whether more events may come: the session's run is queued or running (and its lease, if any,
 * has not run out: a runtime that died leaves `running` behind), or it ended a moment ago and its
 * last events may still be on their way.
 */
async function isFollowed(sessionId: string, deps: LambdaDeps): Promise<boolean> {
  const { objects, config } = deps;
  const now = deps.now().getTime();
  const state = await readState(objects, config.prefix, sessionId);
  if (isInProgress(state)) {
    const expiry = await leaseExpiry(objects, config.prefix, sessionId);
    return expiry === undefined || expiry > now;
  }
  if (state === undefined || !isEnded(state.status) || now - Date.parse(state.updated_at) > SETTLE_MS) return false;
  const newest = await lastEvent(objects, config.prefix, sessionId);
  return !(newest?.type === 'invocation.completed' && newest.invocation_id === state.invocation_id);
}
