/**
 * Who owns a session on AWS: `<prefix>/sessions/<id>/owner.json` = `{"owner": <API key id>,
 * "created_at"}`, created once with a conditional write. The runtime knows no API keys (its mirrored
 * state has `owner: null`); this object is the only record of ownership.
 */
import { BusyError, NotFoundError } from '../errors/index.js';
import { prefixed, type SessionObjects } from './objects.js';
import { indexSession } from './owner-index.js';

export interface OwnerRecord {
  /** API Gateway's id of the API key that created the session. */
  owner: string;
  created_at: string;
}

/** The key of a session's owner record under a storage prefix. */
export function ownerKey(prefix: string, sessionId: string): string {
  return prefixed(prefix, `sessions/${sessionId}/owner.json`);
}

/**
 * Makes `keyId` the owner of a new session, or checks it owns an existing one. Another key's
 * session is answered 404, as one that does not exist (the local gateway does the same).
 * @example await claimSession(objects, '', sessionId, apiKeyId, { isNew: true, now: new Date() });
 */
export async function claimSession(
  objects: SessionObjects,
  prefix: string,
  sessionId: string,
  keyId: string,
  opts: { isNew: boolean; now: Date },
): Promise<OwnerRecord> {
  const record = await claimOwner(objects, prefix, sessionId, keyId, opts);
  // Each claim (re)writes the session's entry in its key's index: one that failed before heals here.
  await indexSession(objects, prefix, sessionId, record);
  return record;
}

async function claimOwner(
  objects: SessionObjects,
  prefix: string,
  sessionId: string,
  keyId: string,
  opts: { isNew: boolean; now: Date },
): Promise<OwnerRecord> {
  const key = ownerKey(prefix, sessionId);
  // A caller-given id usually names an existing session: read first, write only when absent.
  if (!opts.isNew) {
    const existing = await readOwner(objects, key);
    if (existing !== undefined) return mustOwn(existing, sessionId, keyId, notFoundToContinue);
  }
  const record: OwnerRecord = { owner: keyId, created_at: opts.now.toISOString() };
  if (await objects.createJson(key, record)) return record;
  // Lost a race with another creator: whoever won owns it.
  const winner = await readOwner(objects, key);
  // S3 answers 409 while a concurrent conditional write of the key is still in flight.
  if (winner === undefined) throw new BusyError(`Session ${sessionId} is being created by another request; retry after 1 s.`, 1);
  return mustOwn(winner, sessionId, keyId, notFoundToContinue);
}

/**
 * The owner record of a session the caller owns; 404 when the session does not exist, is another
 * key's, or the id cannot name a session.
 */
export async function visibleSession(objects: SessionObjects, prefix: string, sessionId: string, keyId: string): Promise<OwnerRecord> {
  const existing = await readOwner(objects, ownerKey(prefix, sessionId));
  if (existing === undefined) throw notFoundToRead(sessionId);
  return mustOwn(existing, sessionId, keyId, notFoundToRead);
}

/** A session's owner record; undefined when there is none. */
export async function readOwner(objects: SessionObjects, key: string): Promise<OwnerRecord | undefined> {
  const value = await objects.getJson(key);
  if (value === undefined) return undefined;
  const record = value as Partial<OwnerRecord> | null;
  if (typeof record?.owner !== 'string' || typeof record.created_at !== 'string') {
    throw new Error(`owner record ${key} is malformed`);
  }
  return { owner: record.owner, created_at: record.created_at };
}

function mustOwn(record: OwnerRecord, sessionId: string, keyId: string, notFound: (id: string) => NotFoundError): OwnerRecord {
  if (record.owner !== keyId) throw notFound(sessionId);
  return record;
}

// The local gateway's two messages: continuing a session, and reading one.
const notFoundToContinue = (id: string) => new NotFoundError(`Session ${id} was not found; omit session_id to start a new session.`);
const notFoundToRead = (id: string) => new NotFoundError(`Session ${id} was not found.`);
