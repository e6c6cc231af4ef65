/**
 * Session ids on AWS: the runtime's rule (one safe path segment) plus AgentCore's, which routes a
 * session to its microVM by `runtimeSessionId` and refuses ids shorter than 33 characters.
 */
import { randomUUID } from 'node:crypto';
import { ValidationError } from '../errors/index.js';
import { isValidSessionId } from '../workspace/index.js';

/** AgentCore's minimum length of `runtimeSessionId`. */
export const AGENTCORE_MIN_SESSION_ID_LENGTH = 33;

/**
 * The session of a request: the AgentCore header (as the local gateway, it wins), the body's
 * `session_id`, or a new UUID (36 characters). Throws 400 for an id the runtime or AgentCore refuses.
 * @example const { sessionId, isNew } = sessionIdFor(header(event, SESSION_HEADER), request.sessionId);
 */
export function sessionIdFor(fromHeader: string | undefined, fromBody: string | undefined): { sessionId: string; isNew: boolean } {
  const given = fromHeader || fromBody;
  if (given === undefined) return { sessionId: randomUUID(), isNew: true };
  checkSessionId(given);
  return { sessionId: given, isNew: false };
}

/** Throws 400 unless `id` is a session id both the runtime and AgentCore accept. */
export function checkSessionId(id: string): void {
  if (!isValidSessionId(id)) {
    // The runtime's own message, so a caller sees the same answer locally and on AWS.
    throw new ValidationError(
      'session_id must be 1-128 characters of letters, digits, ".", "_" or "-", starting with a letter or digit; omit it to start a new session.',
      { field: 'session_id' },
    );
  }
  if (id.length < AGENTCORE_MIN_SESSION_ID_LENGTH) {
    throw new ValidationError(
      `session_id is ${id.length} characters; on AWS a session runs on Amazon Bedrock AgentCore, which needs session ids of at least ${AGENTCORE_MIN_SESSION_ID_LENGTH} characters (a UUID has 36). Omit session_id to start a new session, or send a longer id.`,
      { field: 'session_id', min_length: AGENTCORE_MIN_SESSION_ID_LENGTH },
    );
  }
}

/** Whether a path parameter can name a session at all (anything else is simply not found). */
export function isUsableSessionId(id: string): boolean {
  return isValidSessionId(id) && id.length >= AGENTCORE_MIN_SESSION_ID_LENGTH;
}
