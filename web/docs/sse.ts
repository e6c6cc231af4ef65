/**
 * An incremental reader of `text/event-stream` (the WHATWG rules the service's streams use):
 * `fetch` can send the API key in a header, which `EventSource` cannot, so the page parses the
 * stream itself as chunks arrive.
 */

/** One event of the stream. */
export interface SseEvent {
  /** The `event:` field; `message` when the event has none. */
  event: string;
  /** The `data:` lines, joined with line breaks. */
  data: string;
  /** The `id:` field, when the event has one. */
  id?: string;
}

/**
 * Feeds text in any chunks and returns the events each chunk completed; comments (`: keep-alive`)
 * are counted, not returned.
 * @example const sse = new SseParser(); for (const e of sse.push(chunk)) show(e);
 */
export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  #id: string | undefined;
  /** Comment lines seen (the service's keep-alives). */
  comments = 0;

  push(chunk: string): SseEvent[] {
    this.#buffer += chunk;
    const done: SseEvent[] = [];
    for (;;) {
      const end = /\r\n|\r|\n/.exec(this.#buffer);
      // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
      if (end === null || (end[0] === '\r' && end.index === this.#buffer.length - 1)) break;
      const line = this.#buffer.slice(0, end.index);
      this.#buffer = this.#buffer.slice(end.index + end[0].length);
      const event = this.#line(line);
      if (event !== undefined) done.push(event);
    }
    return done;
  }

  #line(line: string): SseEvent | undefined {
    if (line === '') {
      if (this.#data.length === 0 && this.#event === '') return undefined;
      const event: SseEvent = { event: this.#event || 'message', data: this.#data.join('\n') };
      if (this.#id !== undefined) event.id = this.#id;
      this.#event = '';
      this.#data = [];
      return event;
    }
    if (line.startsWith(':')) {
      this.comments++;
      return undefined;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
    return undefined;
  }
}
