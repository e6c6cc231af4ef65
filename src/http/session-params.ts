/**
 * Parameters and answers the session routes share, on every front (the local gateway and the API
 * Lambda): the session in the path, its 404, and the event id to resume after.
 */
import { z } from 'zod';
import { ValidationError } from '../errors/index.js';
import { error } from './openapi-responses.js';

/** A session id as an example. */
export const SESSION_ID = '7c1e2f4a-5b6d-4e8f-9a0b-1c2d3e4f5a6b';

/** `{session_id}` in a path. */
export const SessionParams = z.object({ session_id: z.string().meta({ description: 'The session id.' }) });

/** 404 of a session the key cannot see. */
export const SESSION_NOT_FOUND = error('No such session, or it belongs to another key.', {
  message: `Session ${SESSION_ID} was not found.`,
  code: 'not_found',
});

/** The 400 of an event id that is not one. */
export const EVENT_ID_MESSAGE = 'Last-Event-ID / after must be the id of an event (a non-negative integer).';

/** An event id to resume after (query `after` and header `Last-Event-ID`); 0 replays everything. */
export const EventId = z.coerce.number({ error: EVENT_ID_MESSAGE }).int(EVENT_ID_MESSAGE).min(0, EVENT_ID_MESSAGE);

/** The event id to resume after, from `Last-Event-ID` or `after`; absent or empty: 0, replay everything. */
export function parseEventId(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  const parsed = EventId.safeParse(raw);
  if (!parsed.success) throw new ValidationError(EVENT_ID_MESSAGE, { field: 'after' });
  return parsed.data;
}
