/**
 * Shows an answer under its form: the status, the headers worth reading, and the body: JSON
 * pretty-printed, text as text, an event stream event by event as it arrives (until it ends or
 * the person presses Stop).
 */
import { el } from './dom.js';
import { SseParser, type SseEvent } from './sse.js';

/** Headers a caller acts on: what came back, where to go next, when to retry, which session. */
const WORTH_SHOWING =
  /^(content-type|content-length|content-disposition|location|retry-after|allow|etag|x-ratelimit-.*|x-session-id|x-invocation-id|x-amzn-bedrock-agentcore-runtime-session-id)$/;
/** More text than this is cut (a person reads the start; curl gets the rest). */
const MAX_TEXT = 1_000_000;

/**
 * Renders `res` into `out` (emptied first); resolves when the body has been read.
 * @example await showAnswer(await fetch(url, init), block.querySelector('.try-result'), 'GET /health');
 */
export async function showAnswer(res: Response, out: HTMLElement, sent: string): Promise<void> {
  const type = res.headers.get('content-type') ?? '';
  const headers = [...res.headers].filter(([name]) => WORTH_SHOWING.test(name));
  const note = el('span', { class: 'note' });
  out.replaceChildren(
    el(
      'p',
      { class: 'answer-line' },
      el('code', {}, sent),
      el('span', { class: `status s${String(res.status).charAt(0)}` }, String(res.status)),
      ` ${res.statusText}`,
      note,
    ),
    el('dl', { class: 'answer-headers' }, ...headers.flatMap(([name, value]) => [el('dt', {}, name), el('dd', {}, value)])),
  );
  if (type.startsWith('text/event-stream') && res.body !== null) return showEvents(res.body, out, note);
  const bytes = new Uint8Array(await res.arrayBuffer());
  out.append(el('pre', { class: 'answer-body' }, el('code', {}, bodyText(bytes, type, note))));
}

function bodyText(bytes: Uint8Array, type: string, note: HTMLElement): string {
  if (bytes.length === 0) return '(empty body)';
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return `${bytes.length} bytes of ${type || 'binary data'}: not text, so not shown here.`;
  }
  if (/\bjson\b/.test(type)) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      note.textContent = 'The body is not valid JSON; shown as sent.';
    }
  }
  if (text.length > MAX_TEXT) {
    note.textContent = `Showing the first ${MAX_TEXT.toLocaleString()} of ${text.length.toLocaleString()} characters.`;
    return text.slice(0, MAX_TEXT);
  }
  return text;
}

/** Appends each event as it arrives; a Stop (the fetch's abort) ends the read quietly. */
async function showEvents(body: ReadableStream<Uint8Array>, out: HTMLElement, note: HTMLElement): Promise<void> {
  const list = el('ol', { class: 'events', 'aria-label': 'Events' });
  out.append(list);
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let count = 0;
  const status = (end: string) => {
    const alive = parser.comments === 0 ? '' : `, ${parser.comments} keep-alive${parser.comments === 1 ? '' : 's'}`;
    note.textContent = `${count} event${count === 1 ? '' : 's'}${alive}${end}`;
  };
  status(': streaming…');
  try {
    for (;;) {
      const { done, value } = await reader.read();
      const events = parser.push(done ? decoder.decode() : decoder.decode(value, { stream: true }));
      for (const event of events) {
        const atEnd = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
        list.append(eventItem(event));
        count++;
        if (atEnd) list.scrollTop = list.scrollHeight;
      }
      if (done) break;
      status(': streaming…');
    }
    status(': the stream ended.');
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
    status(': stopped.');
  }
}

/**
 * One event: its type, id and a one-line gist (what the assistant said, which tool, which file),
 * opened to its whole JSON on a click; the run's end is open from the start.
 */
function eventItem(event: SseEvent): HTMLElement {
  let data = event.data;
  let gist = event.data;
  try {
    const parsed = JSON.parse(event.data) as { data?: unknown };
    data = JSON.stringify(parsed, null, 2);
    gist = JSON.stringify(parsed.data ?? parsed);
  } catch {
    // Not JSON: shown as sent.
  }
  const details = el(
    'details',
    { open: event.event === 'invocation.completed' },
    el(
      'summary',
      {},
      el('span', { class: 'ev-name' }, event.event),
      event.id === undefined ? undefined : el('span', { class: 'note' }, `id ${event.id}`),
      el('span', { class: 'ev-gist' }, gist.slice(0, 300)),
    ),
    data === '' ? undefined : el('pre', {}, el('code', {}, data)),
  );
  return el('li', { class: 'event', 'data-event': event.event }, details);
}
