/**
 * The event log in SQLite (table `events`, migration 3): what a reconnecting client replays.
 */
import type { Db } from '../store/index.js';
import type { EventDraft } from './from-sdk.js';
import type { SessionEvent } from '../schemas/events.js';

/** An event to record: its draft plus where it belongs. */
export type EventRecord = EventDraft & { session_id: string; invocation_id: string };

interface EventRow {
  id: number;
  session_id: string;
  invocation_id: string;
  type: string;
  data: string;
  created_at: string;
}

/** Default page size of `listAfter`. */
export const EVENT_PAGE_LIMIT = 1000;

/**
 * Appends and reads session events; ids come from the AUTOINCREMENT column, so they increase
 * within a session (and across sessions: they are global).
 * @example const event = new EventStore(db).append({ session_id, invocation_id, type: 'assistant.text', data: { text: 'hi' } });
 */
export class EventStore {
  private readonly insert;
  private readonly selectAfter;
  private readonly selectLast;

  constructor(db: Db) {
    this.insert = db.prepare<[string, string, string, string, string]>(
      'INSERT INTO events (session_id, invocation_id, type, data, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.selectAfter = db.prepare<[string, number, number], EventRow>(
      'SELECT id, session_id, invocation_id, type, data, created_at FROM events WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?',
    );
    this.selectLast = db.prepare<[string], { last: number | null }>('SELECT MAX(id) AS last FROM events WHERE session_id = ?');
  }

  /** Records one event (synchronously) and returns it as stored. */
  append(record: EventRecord, at: Date = new Date()): SessionEvent {
    const createdAt = at.toISOString();
    const result = this.insert.run(record.session_id, record.invocation_id, record.type, JSON.stringify(record.data), createdAt);
    const { session_id, invocation_id, type, data } = record;
    return { id: Number(result.lastInsertRowid), session_id, invocation_id, at: createdAt, type, data } as SessionEvent;
  }

  /** The session's events with an id above `afterId`, oldest first, at most `limit`. */
  listAfter(sessionId: string, afterId: number, limit: number = EVENT_PAGE_LIMIT): SessionEvent[] {
    return this.selectAfter.all(sessionId, afterId, limit).map(toEvent);
  }

  /** The id of the session's newest event, 0 when it has none. */
  lastId(sessionId: string): number {
    return this.selectLast.get(sessionId)?.last ?? 0;
  }
}

function toEvent(row: EventRow): SessionEvent {
  return {
    id: row.id,
    session_id: row.session_id,
    invocation_id: row.invocation_id,
    at: row.created_at,
    type: row.type,
    data: JSON.parse(row.data) as unknown,
  } as SessionEvent;
}
