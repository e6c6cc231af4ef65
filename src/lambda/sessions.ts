/**
 * `GET /sessions` and `GET /sessions/{session_id}` on AWS: the caller's own sessions only (another
 * key's is 404, and absent from its list), from the owner index and what the runtime mirrored,
 * with fresh download links.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { NotFoundError, ValidationError } from '../errors/index.js';
import { CURSOR_MESSAGE, decodeSessionCursor, encodeSessionCursor, ListSessionsQuery, SessionDetailQuery } from '../http/index.js';
import type { SessionList } from '../schemas/responses.js';
import type { LambdaDeps } from './deps.js';
import { jsonResult } from './http.js';
import { listOwnedSessions } from './owner-index.js';
import { visibleSession, type OwnerRecord } from './owners.js';
import { parseQuery } from './query.js';
import { relinkWith, toSessionDetail, toSessionSummary } from './session-detail.js';
import { invocationIds, mapLimit, readInvocations, readState } from './session-records.js';
import { isUsableSessionId } from './session-id.js';

/** Handles `GET /sessions/{session_id}` for the caller `keyId`. */
export async function getSession(
  event: APIGatewayProxyEvent,
  sessionId: string,
  keyId: string,
  deps: LambdaDeps,
): Promise<APIGatewayProxyResult> {
  const { config, objects } = deps;
  const owner = await ownedSession(sessionId, keyId, deps);
  const { files_limit: filesLimit } = parseQuery(SessionDetailQuery, event);
  const state = await readState(objects, config.prefix, sessionId);
  const invocations = await readInvocations(objects, config.prefix, sessionId, state);
  return jsonResult(200, await toSessionDetail(sessionId, owner, invocations, relinkWith(deps.store), filesLimit));
}

/** Handles `GET /sessions` for the caller `keyId`: newest first, a page at a time. */
export async function listSessions(event: APIGatewayProxyEvent, keyId: string, deps: LambdaDeps): Promise<APIGatewayProxyResult> {
  const { config, objects } = deps;
  const { limit, cursor } = parseQuery(ListSessionsQuery, event);
  const after = decodeSessionCursor(cursor);
  // The cursor becomes a key to list after: one whose time is no date is no cursor of ours.
  if (after !== undefined && !Number.isFinite(Date.parse(after.createdAt))) throw new ValidationError(CURSOR_MESSAGE, { field: 'cursor' });
  const page = await listOwnedSessions(objects, config.prefix, keyId, limit, after && { sessionId: after.id, createdAt: after.createdAt });
  // The index is written only for the key that claimed the session: its entries are the caller's.
  const sessions = await mapLimit(page.entries, 8, async ({ sessionId, createdAt }) => {
    const [state, ids] = await Promise.all([
      readState(objects, config.prefix, sessionId),
      invocationIds(objects, config.prefix, sessionId),
    ]);
    // Sessions mirrored before invocation records have their latest invocation in state.json only.
    const count = ids.length + (state !== undefined && !ids.includes(state.invocation_id) ? 1 : 0);
    return toSessionSummary(sessionId, { owner: keyId, created_at: createdAt }, state, count);
  });
  const last = page.entries.at(-1);
  const body: SessionList = {
    sessions,
    next_cursor: page.more && last ? encodeSessionCursor({ createdAt: last.createdAt, id: last.sessionId }) : null,
  };
  return jsonResult(200, body);
}

/**
 * The caller's session's owner record; 404 for an id that cannot name a session, or another key's,
 * in the local routes' words: reads say "was not found", the routes that steer a run (as
 * `POST /invoke`) add how to start a new session.
 */
export async function ownedSession(
  sessionId: string,
  keyId: string,
  deps: LambdaDeps,
  wording: 'read' | 'steer' = 'read',
): Promise<OwnerRecord> {
  try {
    // An id that cannot name a session must never become part of an object key.
    if (!isUsableSessionId(sessionId)) throw new NotFoundError(`Session ${sessionId} was not found.`);
    return await visibleSession(deps.objects, deps.config.prefix, sessionId, keyId);
  } catch (err) {
    if (wording === 'steer' && err instanceof NotFoundError) {
      throw new NotFoundError(`Session ${sessionId} was not found; omit session_id to start a new session.`);
    }
    throw err;
  }
}
