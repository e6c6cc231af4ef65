/**
 * `GET /sessions/{session_id}` on AWS: the caller's own session only (any other is 404), from the
 * runtime's mirrored state in the bucket, with fresh download links.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { NotFoundError } from '../errors/index.js';
import { stateKey } from '../state/index.js';
import type { LambdaDeps } from './deps.js';
import { jsonResult } from './http.js';
import { visibleSession } from './owners.js';
import { readState, relinkWith, toSessionDetail } from './session-detail.js';
import { isUsableSessionId } from './session-id.js';

/** Handles `GET /sessions/{session_id}` for the caller `keyId`. */
export async function getSession(sessionId: string, keyId: string, deps: LambdaDeps): Promise<APIGatewayProxyResult> {
  const { config, objects } = deps;
  // An id that cannot name a session must never become part of an object key.
  if (!isUsableSessionId(sessionId)) throw new NotFoundError(`Session ${sessionId} was not found.`);
  const owner = await visibleSession(objects, config.prefix, sessionId, keyId);
  const state = await readState(objects, stateKey(config.prefix, sessionId));
  return jsonResult(200, await toSessionDetail(sessionId, owner, state, relinkWith(deps.store)));
}
