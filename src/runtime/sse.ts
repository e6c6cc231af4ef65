/**
 * A Server-Sent Events response from an event stream, through Hono's `streamSSE`: one SSE message
 * per event, a comment every 15 s so idle proxies keep the connection, and the stream stops when
 * the client goes away (the run itself goes on: streams only watch).
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { formatSse, type SessionEvent } from '../events/index.js';

const HEARTBEAT_MS = 15_000;

/** The headers of every event stream. Hono copies the context's headers onto the response, so they are set there. */
const SSE_HEADERS: Record<string, string | undefined> = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
  // streamSSE says `Connection: keep-alive`, which made Node keep the connection even when the
  // client sent `Connection: close` (HTTP/1.1 keeps it by default anyway); Node chunks by itself.
  Connection: undefined,
  'Transfer-Encoding': undefined,
};

/**
 * Streams `events` as `text/event-stream`. Each write waits until the client has taken the
 * previous one, so a client that stops reading costs one event of memory, not the whole replay.
 * A failure of the event source aborts the response, so a client never mistakes it for the end.
 * @example return sseResponse(c, events.stream(id, { afterId, isActive, signal: c.req.raw.signal }));
 */
export function sseResponse(c: Context, events: AsyncIterable<SessionEvent>, headers: Record<string, string> = {}): Response {
  let failure: unknown;
  const response = streamSSE(c, async (stream) => {
    const heartbeat = setInterval(() => void stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
    try {
      for await (const event of events) {
        if (stream.aborted) break;
        // Our own framing (`id`, `event`, `data`, as documented), escaping line breaks in the data.
        await stream.write(formatSse(event));
      }
    } catch (err) {
      failure = err ?? new Error('the event stream failed');
    } finally {
      clearInterval(heartbeat);
    }
  });
  const out = new Headers(response.headers);
  for (const [name, value] of Object.entries({ ...SSE_HEADERS, ...headers })) {
    c.header(name, value);
    if (value === undefined) out.delete(name);
    else out.set(name, value);
  }
  // streamSSE ends the body cleanly after a failure; this turns that end into an error.
  const failOnError = new TransformStream<Uint8Array, Uint8Array>({
    flush(controller) {
      if (failure !== undefined) controller.error(failure);
    },
  });
  return new Response(response.body?.pipeThrough(failOnError) ?? null, { status: response.status, headers: out });
}
