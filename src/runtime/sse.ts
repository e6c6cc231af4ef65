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
  let heartbeat: NodeJS.Timeout | undefined;
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      heartbeat = setInterval(() => controller.enqueue(encoder.encode(': keep-alive\n\n')), HEARTBEAT_MS);
      try {
        for await (const event of events) {
          if (signal.aborted) break;
          controller.enqueue(encoder.encode(formatSse(event)));
        }
        controller.close();
      } catch (err) {
        controller.error(err);
      } finally {
        clearInterval(heartbeat);
      }
    },
    cancel() {
      clearInterval(heartbeat);
    },
  });
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
