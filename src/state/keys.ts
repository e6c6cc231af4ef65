/**
 * Where a session's mirrored records live in the artifact bucket, in one place: the runtime writes
 * these keys and the API Lambda reads them, so both must spell them the same way.
 *
 *   <prefix>/sessions/<id>/state.json                       the latest invocation's state
 *   <prefix>/sessions/<id>/invocations/<invocation id>.json one record per invocation
 *   <prefix>/sessions/<id>/events/<first id, 12 digits>.jsonl the event log, in segments
 *   <prefix>/sessions/<id>/lease.json                       who runs the session, until when
 */

/** Digits of a segment's first event id in its key: zero-padded, so key order is id order. */
export const SEGMENT_ID_DIGITS = 12;

const SEGMENT = new RegExp(`/(\\d{${SEGMENT_ID_DIGITS}})\\.jsonl$`);

/**
 * The key of `rest` in a session's folder under a storage prefix ('' or 'a/b').
 * @example sessionObjectKey('cca', 's-1', 'state.json') // 'cca/sessions/s-1/state.json'
 */
export function sessionObjectKey(prefix: string, sessionId: string, rest: string): string {
  return `${prefix === '' ? '' : `${prefix}/`}sessions/${sessionId}/${rest}`;
}

/** The folder of a session's event log segments (ends with `/`). */
export function eventsPrefix(prefix: string, sessionId: string): string {
  return sessionObjectKey(prefix, sessionId, 'events/');
}

/**
 * The key of the event log segment that starts at event `firstId`.
 * @example eventSegmentKey('', 's-1', 7) // 'sessions/s-1/events/000000000007.jsonl'
 */
export function eventSegmentKey(prefix: string, sessionId: string, firstId: number): string {
  return `${eventsPrefix(prefix, sessionId)}${String(firstId).padStart(SEGMENT_ID_DIGITS, '0')}.jsonl`;
}

/** The first event id of a segment's key; undefined for any other key. */
export function segmentFirstId(key: string): number | undefined {
  const digits = SEGMENT.exec(key)?.[1];
  return digits === undefined ? undefined : Number(digits);
}

/** The folder of a session's invocation records (ends with `/`). */
export function invocationsPrefix(prefix: string, sessionId: string): string {
  return sessionObjectKey(prefix, sessionId, 'invocations/');
}

/** The key of one invocation's record. */
export function invocationKey(prefix: string, sessionId: string, invocationId: string): string {
  return `${invocationsPrefix(prefix, sessionId)}${invocationId}.json`;
}

/** The key of the session's lease: `{"expires_at": ISO time}` while a worker runs it. */
export function leaseKey(prefix: string, sessionId: string): string {
  return sessionObjectKey(prefix, sessionId, 'lease.json');
}
