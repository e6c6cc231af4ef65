/**
 * Opens a session's event stream (`POST /invoke` with `Accept: text/event-stream`, or
 * `GET /sessions/{id}/events`) over node:http, and turns its SSE messages into session events.
 * Not `fetch`: undici cuts a response after 300 s without headers or body bytes, and a run may be
 * quiet for longer than that while a tool works. The SSE wire format is parsed by
 * eventsource-parser (the parser of the Vercel AI SDK and the `eventsource` package): line
 * endings, comments, split chunks and a trailing unfinished message are its job, not ours.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { EventSourceParserStream, type EventSourceMessage } from 'eventsource-parser/stream';
import { EventPayloads, type EventType, type SessionEvent } from '../schemas/events.js';
import { isOk, readReply, startRequest, type HttpReply, type HttpRequestInit } from './http-request.js';

/**
 * How long a stream may stay silent before it counts as dropped: the service sends a comment every
 * 15 s, so a minute of nothing means a half-open connection (a laptop that slept, a NAT that forgot).
 */
export const STREAM_IDLE_MS = 60_000;

/** A stream that went silent for longer than it may. */
export class StreamIdleError extends Error {
  override name = 'StreamIdleError';
  constructor(readonly idleMs: number) {
    super(`nothing received for ${(idleMs / 1000).toFixed(1)} s`);
  }
}

/** Either the stream of messages, or the whole reply when the service answered with something else. */
export type OpenedStream =
  { kind: 'stream'; messages: AsyncIterable<EventSourceMessage>; close(): void } | { kind: 'reply'; reply: HttpReply };

/**
 * Sends the request with `Accept: text/event-stream`. A 2xx `text/event-stream` answer comes back
 * as a stream (read it, then `close()`); any other answer (an error, or JSON from a service that
 * does not stream) is read whole, however long it takes. A stream silent for `idleMs` breaks with
 * a StreamIdleError. Aborting `signal` destroys the connection.
 * @example const opened = await openEventStream(url, { method: 'GET', headers: { 'x-api-key': key } }, signal);
 */
export async function openEventStream(
  url: URL,
  init: HttpRequestInit,
  signal: AbortSignal,
  idleMs = STREAM_IDLE_MS,
): Promise<OpenedStream> {
  signal.throwIfAborted();
  let abort = (): void => undefined;
  let res: IncomingMessage;
  try {
    res = await startRequest(url, { ...init, headers: { ...init.headers, accept: 'text/event-stream' } }, (req) => {
      abort = () => req.destroy();
      signal.addEventListener('abort', abort, { once: true });
    });
  } catch (err) {
    signal.removeEventListener('abort', abort);
    throw err;
  }
  const close = () => {
    signal.removeEventListener('abort', abort);
    res.destroy();
  };
  const type = String(res.headers['content-type'] ?? '');
  if (!isOk({ status: res.statusCode ?? 0 }) || !type.startsWith('text/event-stream')) {
    try {
      return { kind: 'reply', reply: await readReply(res) };
    } finally {
      close();
    }
  }
  res.setTimeout(idleMs, () => res.destroy(new StreamIdleError(idleMs)));
  // TextDecoderStream drops a leading byte order mark and keeps characters split across chunks whole.
  const messages = (Readable.toWeb(res) as ReadableStream<Uint8Array>)
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream());
  return { kind: 'stream', messages, close };
}

/** The `invocation.completed` event; its output is checked leniently, when it is printed. */
export type CompletedEvent = Extract<SessionEvent, { type: 'invocation.completed' }>;

/**
 * The event an SSE message carries, or undefined for anything else (a comment, an unknown type, a
 * payload that does not match the contract). The final event is accepted with any output, so a
 * newer service's extra fields never leave a client waiting forever.
 */
export function toSessionEvent(message: EventSourceMessage): SessionEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message.data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const raw = value as Record<string, unknown>;
  const id = typeof raw.id === 'number' ? raw.id : Number(message.id);
  const { type, session_id, invocation_id, at, data } = raw;
  if (!Number.isInteger(id) || typeof type !== 'string' || typeof session_id !== 'string' || typeof invocation_id !== 'string')
    return undefined;
  if (!(type in EventPayloads) || typeof data !== 'object' || data === null) return undefined;
  const head = { id, session_id, invocation_id, at: typeof at === 'string' ? at : '' };
  if (type === 'invocation.completed') {
    const status = (data as Record<string, unknown>).status;
    if (typeof status !== 'string') return undefined;
    return { ...head, type, data: { ...(data as CompletedEvent['data']), status: status as CompletedEvent['data']['status'] } };
  }
  const parsed = EventPayloads[type as EventType].safeParse(data);
  return parsed.success ? ({ ...head, type, data: parsed.data } as SessionEvent) : undefined;
}
