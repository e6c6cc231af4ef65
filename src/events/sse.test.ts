import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../schemas/events.js';
import type { EventSourceMessage } from 'eventsource-parser';
import { parseSseStream } from '../../test/support/sse.js';
import { formatSse } from './sse.js';

const encoder = new TextEncoder();

/** A body that delivers `chunks` one read at a time. */
function body(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const queue = chunks.map((chunk) => (typeof chunk === 'string' ? encoder.encode(chunk) : chunk));
  return new ReadableStream({
    pull(controller) {
      const next = queue.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(next);
    },
  });
}

/** Every byte in its own chunk: splits CRLF pairs and multi-byte characters. */
function byteByByte(text: string): Uint8Array[] {
  return [...encoder.encode(text)].map((byte) => Uint8Array.of(byte));
}

async function parse(stream: ReadableStream<Uint8Array>): Promise<EventSourceMessage[]> {
  const all: EventSourceMessage[] = [];
  for await (const message of parseSseStream(stream)) all.push(message);
  return all;
}

const events: SessionEvent[] = [
  {
    id: 1,
    session_id: 's',
    invocation_id: 'i',
    at: '2025-01-01T00:00:00.000Z',
    type: 'invocation.queued',
    data: { prompt: 'line one\nline two\r\nthree' },
  },
  {
    id: 2,
    session_id: 's',
    invocation_id: 'i',
    at: '2025-01-01T00:00:01.000Z',
    type: 'assistant.text',
    data: { text: 'emoji 😀 and \u2028 separators\rend' },
  },
  {
    id: 3,
    session_id: 's',
    invocation_id: 'i',
    at: '2025-01-01T00:00:02.000Z',
    type: 'invocation.completed',
    data: { status: 'succeeded', output: null },
  },
];

describe('formatSse', () => {
  it('writes id, event and the whole event as one line of JSON', () => {
    const text = formatSse(events[0] as SessionEvent);
    const lines = text.split('\n');
    expect(lines).toEqual(['id: 1', 'event: invocation.queued', expect.stringMatching(/^data: \{/), '', '']);
    expect(text).not.toMatch(/\r/);
    expect(JSON.parse((lines[2] as string).slice('data: '.length))).toEqual(events[0]);
  });
});

describe('formatSse on the wire', () => {
  it('is read back by a standard SSE parser, whole or one byte at a time', async () => {
    const wire = events.map(formatSse).join('');
    for (const chunks of [[wire], byteByByte(wire)]) {
      const messages = await parse(body(chunks));
      expect(messages.map((m) => [m.id, m.event])).toEqual([
        ['1', 'invocation.queued'],
        ['2', 'assistant.text'],
        ['3', 'invocation.completed'],
      ]);
      expect(messages.map((m) => JSON.parse(m.data) as unknown)).toEqual(events);
    }
  });
});
