/**
 * Brings a bucket's session records forward to what the Lambda reads now, once, idempotently
 * (`cca migrate-sessions`): every session with an owner record gets its entry in its key's owner
 * index (so `GET /sessions` lists it), and every session whose latest invocation is only in
 * `state.json` (mirrored before invocation records existed) gets that invocation's record (so its
 * history keeps it once the next invocation replaces `state.json`). Nothing is replaced: each write
 * is conditional, so a record the runtime writes meanwhile wins, and running it again writes nothing.
 */
import { invocationKey, invocationRecordOf } from '../state/index.js';
import { isValidSessionId } from '../workspace/index.js';
import { prefixed, type SessionObjects } from './objects.js';
import { ownerIndexKey } from './owner-index.js';
import { ownerKey, readOwner } from './owners.js';
import { mapLimit, readState } from './session-records.js';

/** What a migration found and wrote. */
export interface MigrationReport {
  /** Session folders seen. */
  sessions: number;
  /** Owner index entries written. */
  indexed: number;
  /** Invocation records written from `state.json`. */
  records: number;
  /** Sessions left as they were, and why (no owner record: made straight on the runtime, not through the API). */
  skipped: { session_id: string; reason: string }[];
}

/**
 * Migrates every session under the storage prefix ('' or 'a/b').
 * @example const report = await migrateSessions(s3Objects(client, bucket), prefix, { onSession: (id) => log(id) });
 */
export async function migrateSessions(
  objects: SessionObjects,
  prefix: string,
  opts: { onSession?: (sessionId: string, wrote: string[]) => void } = {},
): Promise<MigrationReport> {
  const report: MigrationReport = { sessions: 0, indexed: 0, records: 0, skipped: [] };
  const folder = prefixed(prefix, 'sessions/');
  let token: string | undefined;
  do {
    // One entry per session folder, not every object under it (segments, records...).
    const page = await objects.list(folder, { delimiter: '/', token });
    const ids = page.prefixes.map((p) => p.slice(folder.length, -1));
    await mapLimit(ids, 8, async (sessionId) => {
      report.sessions++;
      try {
        const wrote = await migrateOne(objects, prefix, sessionId);
        if (wrote === undefined) {
          report.skipped.push({ session_id: sessionId, reason: 'no owner record (not created through the API)' });
          return;
        }
        if (wrote.includes('index')) report.indexed++;
        if (wrote.includes('record')) report.records++;
        opts.onSession?.(sessionId, wrote);
      } catch (err) {
        report.skipped.push({ session_id: sessionId, reason: err instanceof Error ? err.message : String(err) });
      }
    });
    token = page.next;
  } while (token !== undefined);
  return report;
}

/** What was written for one session (`index`, `record`); undefined when it has no owner. */
async function migrateOne(objects: SessionObjects, prefix: string, sessionId: string): Promise<string[] | undefined> {
  if (!isValidSessionId(sessionId)) throw new Error('not a session id');
  const owner = await readOwner(objects, ownerKey(prefix, sessionId));
  if (owner === undefined) return undefined;
  const wrote: string[] = [];
  const entry = { session_id: sessionId, created_at: owner.created_at };
  if (await createMissing(objects, ownerIndexKey(prefix, owner.owner, owner.created_at, sessionId), entry)) wrote.push('index');
  const state = await readState(objects, prefix, sessionId);
  if (
    state !== undefined &&
    (await createMissing(objects, invocationKey(prefix, sessionId, state.invocation_id), invocationRecordOf(state)))
  ) {
    wrote.push('record');
  }
  return wrote;
}

/**
 * Writes `key` unless it exists: read first (what a second run finds, and the only check some
 * S3-compatible servers honour), then a conditional write against a concurrent writer.
 */
async function createMissing(objects: SessionObjects, key: string, value: unknown): Promise<boolean> {
  if ((await objects.getText(key)) !== undefined) return false;
  return objects.createJson(key, value);
}
