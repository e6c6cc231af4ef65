/**
 * The event log in SQLite (table `events`, migrations 3 and 6): what a reconnecting client replays.
 * An event's id is its `seq`, a sequence of its session: ids say nothing of other sessions.
 */
import type { Db } from '../store/index.js';
import type { EventDraft } from './from-sdk.js';
import type { SessionEvent } from '../schemas/events.js';

/** An event to record: its draft plus where it belongs. */
export type EventRecord = EventDraft & { session_id: string; invocation_id: string };

interface EventRow {
  seq: number;
  session_id: string;
  invocation_id: string;
  type: string;
  data: string;
  created_at: string;
}

/** Default page size of `listAfter`. */
export const EVENT_PAGE_LIMIT = 1000;

/**
 * Appends and reads session events; ids are 1, 2, 3... within each session (sessions migrated from
 * global ids continue after their last one).
 * @example const event = new EventStore(db).append({ session_id, invocation_id, type: 'assistant.text', data: { text: 'hi' } });
 */
export class EventStore {
  private readonly insert;
  private readonly selectAfter;
  private readonly selectLast;

  constructor(db: Db) {
    // One statement reads the session's last seq and writes the next: no other write comes between.
    this.insert = db.prepare<[string, string, string, string, string, string, string], { seq: number }>(
      `INSERT INTO events (session_id, seq, invocation_id, type, data, created_at)
       SELECT ?, MAX(COALESCE(MAX(seq), 0), (SELECT COALESCE(MAX(event_seq_base), 0) FROM sessions WHERE id = ?)) + 1, ?, ?, ?, ?
         FROM events WHERE session_id = ?
       RETURNING seq`,
    );
    this.selectAfter = db.prepare<[string, number, number], EventRow>(
      'SELECT seq, session_id, invocation_id, type, data, created_at FROM events WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.selectLast = db.prepare<[string, string], { last: number | null }>(
      `SELECT MAX(COALESCE((SELECT MAX(seq) FROM events WHERE session_id = ?), 0),
                  COALESCE((SELECT event_seq_base FROM sessions WHERE id = ?), 0)) AS last`,
    );
  }

  /** Records one event (synchronously) and returns it as stored. */
  append(record: EventRecord, at: Date = new Date()): SessionEvent {
    const createdAt = at.toISOString();
    const { session_id, invocation_id, type, data } = record;
    const row = this.insert.get(session_id, session_id, invocation_id, type, JSON.stringify(data), createdAt, session_id) as {
      seq: number;
    };
    return { id: row.seq, session_id, invocation_id, at: createdAt, type, data } as SessionEvent;
  }

  /** The session's events with an id above `afterId`, oldest first, at most `limit`. */
  listAfter(sessionId: string, afterId: number, limit: number = EVENT_PAGE_LIMIT): SessionEvent[] {
    return this.selectAfter.all(sessionId, afterId, limit).map(toEvent);
  }

  /** The id of the session's newest event, 0 when it has none. */
  lastId(sessionId: string): number {
    return this.selectLast.get(sessionId, sessionId)?.last ?? 0;
  }
}

function toEvent(row: EventRow): SessionEvent {
  return {
    id: row.seq,
    session_id: row.session_id,
    invocation_id: row.invocation_id,
    at: row.created_at,
    type: row.type,
    data: JSON.parse(row.data) as unknown,
  } as SessionEvent;
}
