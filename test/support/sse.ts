/**
 * Reads a response body as SSE messages with eventsource-parser (the parser the CLI uses), so
 * tests read the service's streams the way a standard client does.
 */
import { EventSourceParserStream, type EventSourceMessage } from 'eventsource-parser/stream';

/**
 * The messages of an SSE body, in order; stopping early cancels the body.
 * @example for await (const message of parseSseStream(res.body!)) events.push(JSON.parse(message.data));
 */
export async function* parseSseStream(body: ReadableStream<Uint8Array>): AsyncGenerator<EventSourceMessage> {
  const messages = body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  const reader = messages.getReader();
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
