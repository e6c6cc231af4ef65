/**
 * A Server-Sent Events response from an event stream: one SSE message per event, a comment every
 * 15 s so idle proxies keep the connection, and the stream stops when the client goes away (the
 * run itself goes on: streams only watch).
 */
import { formatSse, type SessionEvent } from '../events/index.js';

const HEARTBEAT_MS = 15_000;

/** Streams `events` as `text/event-stream`; `signal` is the request's (client gone). */
export function sseResponse(events: AsyncIterable<SessionEvent>, signal: AbortSignal, headers: Record<string, string> = {}): Response {
  const encoder = new TextEncoder();
  const iterator = events[Symbol.asyncIterator]();
  let heartbeat: NodeJS.Timeout | undefined;
  const stop = () => {
    clearInterval(heartbeat);
    void iterator.return?.();
  };
  // Pulled, not pushed: the next event is read only when the client has taken the last one, so a
  // client that stops reading costs one event of memory, not the whole replay.
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        heartbeat = setInterval(() => controller.enqueue(encoder.encode(': keep-alive\n\n')), HEARTBEAT_MS);
      },
      async pull(controller) {
        try {
          const next = await iterator.next();
          if (next.done || signal.aborted) {
            stop();
            controller.close();
            return;
          }
          controller.enqueue(encoder.encode(formatSse(next.value)));
        } catch (err) {
          stop();
          controller.error(err);
        }
      },
      cancel: stop,
    },
    { highWaterMark: 1 },
  );
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // No `connection` header: HTTP/1.1 keeps the connection by default, and setting keep-alive here
      // made Node keep it even when the client sent `Connection: close`.
      'x-accel-buffering': 'no',
      ...headers,
    },
  });
}
