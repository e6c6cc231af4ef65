/**
 * The owner index: which sessions each API key owns, as one empty-ish object per session under the
 * key's folder, so `GET /sessions` is one ListObjectsV2 of the caller's folder instead of a scan of
 * every session. Keys sort newest first: the session's creation time is stored inverted
 * (ms until 2286 minus its epoch ms, 13 digits) ahead of the session id.
 *
 *   <prefix>/owners/<API key id, URI-encoded>/sessions/<inverted ms>_<session id>
 *
 * Written when the Lambda claims a session (and again, idempotently, each time the session is
 * continued, which heals a claim whose index write failed); `cca migrate-sessions` writes it for
 * sessions created before the index existed.
 */
import { prefixed, type SessionObjects } from './objects.js';

/** The largest epoch ms with 13 digits (the year 2286): inverted times stay 13 digits until then. */
const LAST_MS = 9_999_999_999_999;

/** One session in the index. */
export interface IndexEntry {
  sessionId: string;
  createdAt: string;
}

/** The folder of one API key's sessions (ends with `/`). */
export function ownerIndexPrefix(prefix: string, keyId: string): string {
  return prefixed(prefix, `owners/${encodeURIComponent(keyId)}/sessions/`);
}

/**
 * The index key of a session; throws for a creation time that is not a date.
 * @example ownerIndexKey('', 'k1', '2025-01-01T00:00:00.000Z', 's-1') // 'owners/k1/sessions/8264...._s-1'
 */
export function ownerIndexKey(prefix: string, keyId: string, createdAt: string, sessionId: string): string {
  const ms = Date.parse(createdAt);
  if (!Number.isFinite(ms) || ms < 0 || ms > LAST_MS)
    throw new Error(`created_at ${JSON.stringify(createdAt)} of session ${sessionId} is not a date`);
  return `${ownerIndexPrefix(prefix, keyId)}${String(LAST_MS - ms).padStart(13, '0')}_${sessionId}`;
}

/** The session an index key stands for; undefined for a key that is not one. */
export function indexEntryOf(key: string): IndexEntry | undefined {
  const match = /\/(\d{13})_([^/]+)$/.exec(key);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { sessionId: match[2], createdAt: new Date(LAST_MS - Number(match[1])).toISOString() };
}

/**
 * Records that `owner.owner` owns the session (a plain PUT: writing it twice changes nothing).
 * @example await indexSession(objects, prefix, sessionId, { owner: keyId, created_at });
 */
export async function indexSession(
  objects: SessionObjects,
  prefix: string,
  sessionId: string,
  owner: { owner: string; created_at: string },
): Promise<void> {
  const key = ownerIndexKey(prefix, owner.owner, owner.created_at, sessionId);
  await objects.putJson(key, { session_id: sessionId, created_at: owner.created_at });
}

/**
 * One page of a key's sessions, newest first, after the session `after` (a previous page's last).
 * @example const { entries, more } = await listOwnedSessions(objects, '', keyId, 20);
 */
export async function listOwnedSessions(
  objects: SessionObjects,
  prefix: string,
  keyId: string,
  limit: number,
  after?: IndexEntry,
): Promise<{ entries: IndexEntry[]; more: boolean }> {
  const folder = ownerIndexPrefix(prefix, keyId);
  const startAfter = after === undefined ? undefined : ownerIndexKey(prefix, keyId, after.createdAt, after.sessionId);
  const page = await objects.list(folder, { startAfter, maxKeys: limit + 1 });
  const entries = page.keys.flatMap((key) => {
    const entry = indexEntryOf(key);
    return entry === undefined ? [] : [entry];
  });
  return { entries: entries.slice(0, limit), more: entries.length > limit || page.next !== undefined };
}
