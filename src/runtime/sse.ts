/**
 * A Server-Sent Events response from an event stream, through Hono's `streamSSE`: one SSE message
 * per event, a comment every 15 s so idle proxies keep the connection, and the stream stops when
 * the client goes away (the run itself goes on: streams only watch).
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { formatSse, type SessionEvent } from '../events/index.js';

const HEARTBEAT_MS = 15_000;

/**
 * Streams `events` as `text/event-stream`. Each write waits until the client has taken the
 * previous one, so a client that stops reading costs one event of memory, not the whole replay.
 * @example return sseResponse(c, events.stream(id, { afterId, isActive, signal: c.req.raw.signal }));
 */
export function sseResponse(c: Context, events: AsyncIterable<SessionEvent>, headers: Record<string, string> = {}): Response {
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  c.header('X-Accel-Buffering', 'no');
  const response = streamSSE(c, async (stream) => {
    const heartbeat = setInterval(() => void stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
    try {
      for await (const event of events) {
        if (stream.aborted) break;
        // Our own framing (`id`, `event`, `data`, as documented), escaping line breaks in the data.
        await stream.write(formatSse(event));
      }
    } finally {
      clearInterval(heartbeat);
    }
  });
  // Hono copies the context's headers onto the returned response: take them off there too.
  c.header('Connection', undefined);
  c.header('Transfer-Encoding', undefined);
  const out = new Headers(response.headers);
  out.set('Content-Type', 'text/event-stream; charset=utf-8');
  out.set('Cache-Control', 'no-cache, no-transform');
  // streamSSE says `Connection: keep-alive`, which made Node keep the connection even when the
  // client sent `Connection: close`; HTTP/1.1 keeps it by default anyway. Node chunks by itself.
  out.delete('Connection');
  out.delete('Transfer-Encoding');
  return new Response(response.body, { status: response.status, headers: out });
}
