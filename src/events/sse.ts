/**
 * Server-Sent Events on the wire: how one of our events is framed. Clients (the CLI, the tests)
 * read them with eventsource-parser.
 */
import type { SessionEvent } from '../schemas/events.js';

/**
 * One event as an SSE message: `id`, `event` (its type) and `data` (the whole event as JSON on one line).
 * @example formatSse(event) // 'id: 7\nevent: assistant.text\ndata: {"id":7,...}\n\n'
 */
export function formatSse(event: SessionEvent): string {
  // JSON.stringify escapes line breaks inside strings and adds none between tokens; the replace
  // makes that an invariant here, since a raw CR or LF would end the data line early.
  const data = JSON.stringify(event).replace(/\r/g, '\\r').replace(/\n/g, '\\n');
  return `id: ${event.id}\nevent: ${oneLine(event.type)}\ndata: ${data}\n\n`;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]/g, ' ');
}
