/**
 * Reading a session's event log as the runtime mirrored it (state/event-log.ts): segments named by
 * their first event id, each a batch of JSON lines. A segment runs up to the next one's first id,
 * so the events after `afterId` are in the last segment that starts at or before `afterId + 1` and
 * every one after it.
 */
import type { SessionEvent } from '../schemas/events.js';
import { eventsPrefix, segmentFirstId } from '../state/index.js';
import { listAll, type SessionObjects } from './objects.js';

/** How much one answer carries at most (a Lambda answer is at most 6 MB, JSON-escaped). */
export interface EventBudget {
  events: number;
  bytes: number;
}

export const DEFAULT_EVENT_BUDGET: EventBudget = { events: 1000, bytes: 3 * 1024 * 1024 };

/**
 * The session's events with an id above `afterId`, in id order, within `budget`.
 * @example const events = await eventsAfter(objects, prefix, sessionId, lastEventId);
 */
export async function eventsAfter(
  objects: SessionObjects,
  prefix: string,
  sessionId: string,
  afterId: number,
  budget: EventBudget = DEFAULT_EVENT_BUDGET,
): Promise<SessionEvent[]> {
  const segments = await listSegments(objects, prefix, sessionId);
  const start = Math.max(
    0,
    segments.findLastIndex((s) => s.first <= afterId + 1),
  );
  const events: SessionEvent[] = [];
  let bytes = 0;
  let last = afterId;
  for (const segment of segments.slice(start)) {
    const text = await objects.getText(segment.key);
    if (text === undefined) break;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let event: SessionEvent;
      try {
        event = JSON.parse(line) as SessionEvent;
      } catch {
        // A segment read while it was being written (S3-compatible servers that do not replace
        // objects atomically): stop here, the next read gets the rest without a gap.
        return events;
      }
      // Ids rise within and across segments; anything else (a replayed batch) is skipped.
      if (typeof event.id !== 'number' || event.id <= last) continue;
      bytes += line.length;
      if (events.length >= budget.events || (bytes > budget.bytes && events.length > 0)) return events;
      events.push(event);
      last = event.id;
    }
  }
  return events;
}

/** The newest event of the session's log; undefined when it has none (or it cannot be read whole yet). */
export async function lastEvent(objects: SessionObjects, prefix: string, sessionId: string): Promise<SessionEvent | undefined> {
  const newest = (await listSegments(objects, prefix, sessionId)).at(-1);
  if (newest === undefined) return undefined;
  const line = (await objects.getText(newest.key))?.trimEnd().split('\n').at(-1);
  try {
    return line === undefined || line === '' ? undefined : (JSON.parse(line) as SessionEvent);
  } catch {
    return undefined;
  }
}

async function listSegments(objects: SessionObjects, prefix: string, sessionId: string): Promise<{ key: string; first: number }[]> {
  return (await listAll(objects, eventsPrefix(prefix, sessionId)))
    .flatMap((key) => {
      const first = segmentFirstId(key);
      return first === undefined ? [] : [{ key, first }];
    })
    .sort((a, b) => a.first - b.first);
}
