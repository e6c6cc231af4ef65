/** Tenancy on the session routes: the calling key, and the sessions it may see. */
import { NotFoundError } from '../../errors/index.js';
import type { CallerEnv } from '../../runtime/index.js';
import type { SessionListRow, SessionRepo } from '../../sessions/index.js';

/** The key id of the caller; the route must be guarded by the API key middleware. */
export function ownerOf(c: { get(key: 'caller'): CallerEnv['Variables']['caller'] }): string {
  const caller = c.get('caller');
  if (caller === undefined) throw new Error('session routes must be guarded by the API key middleware');
  return caller.keyId;
}

/** The session's row if the caller may see it; 404 otherwise (another key's session does not exist). */
export function visibleSession(sessions: SessionRepo, id: string, owner: string): SessionListRow {
  const row = sessions.getSessionListRow(id);
  if (row === undefined || row.owner_key_id !== owner) throw new NotFoundError(`Session ${id} was not found.`);
  return row;
}
