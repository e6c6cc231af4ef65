/**
 * Server-Sent Events on the wire: our events out, and a parser (after the WHATWG "event stream
 * interpretation") for the CLI and the tests.
 */
import type { SessionEvent } from '../schemas/events.js';

/** One parsed SSE message: `id` is the last event id seen so far (as the spec keeps it), `data` its joined data lines. */
export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

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

/**
 * Reads SSE messages from a response body; a message not closed by a blank line is dropped, as the spec says.
 * @example for await (const message of parseSseStream(response.body!)) console.log(message.event, message.data);
 */
export async function* parseSseStream(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  // Drops a leading byte order mark, as the spec asks, and keeps characters split across chunks whole.
  const decoder = new TextDecoder('utf-8');
  const state = new SseState();
  let pending = '';
  // A CR ending one chunk may be the first half of a CRLF split across chunks.
  let skipLf = false;
  let done = false;
  try {
    for (;;) {
      const chunk = await reader.read();
      let text = chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      if (chunk.done) done = true;
      if (text !== '' && skipLf) {
        if (text.startsWith('\n')) text = text.slice(1);
        skipLf = false;
      }
      pending += text;
      const breaks = /\r\n|\r|\n/g;
      let start = 0;
      for (let match = breaks.exec(pending); match !== null; match = breaks.exec(pending)) {
        const message = state.line(pending.slice(start, match.index));
        start = match.index + match[0].length;
        if (match[0] === '\r' && start === pending.length) skipLf = true;
        if (message !== undefined) yield message;
      }
      pending = pending.slice(start);
      if (done) return;
    }
  } finally {
    // A reader that stops early must not leave the connection open.
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** The parser's fields between blank lines. */
class SseState {
  private data: string[] = [];
  private event = '';
  private lastId = '';

  /** Takes one line (without its line ending); returns a message when the line dispatches one. */
  line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    // `retry` and unknown fields change nothing a caller of this parser uses.
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const data = this.data;
    const event = this.event;
    this.data = [];
    this.event = '';
    if (data.length === 0) return undefined;
    return { ...(this.lastId !== '' ? { id: this.lastId } : {}), ...(event !== '' ? { event } : {}), data: data.join('\n') };
  }
}
