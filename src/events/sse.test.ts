import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../schemas/events.js';
import { formatSse, parseSseStream, type SseMessage } from './sse.js';

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

async function parse(stream: ReadableStream<Uint8Array>): Promise<SseMessage[]> {
  const all: SseMessage[] = [];
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

describe('parseSseStream', () => {
  it('round-trips formatted events, whole or one byte at a time', async () => {
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

  it('reads CRLF, CR and LF line endings, even split across chunks', async () => {
    const wire = 'event: a\r\ndata: one\r\n\r\nevent: b\rdata: two\r\rdata: three\n\n';
    const expected = [{ event: 'a', data: 'one' }, { event: 'b', data: 'two' }, { data: 'three' }];
    expect(await parse(body([wire]))).toEqual(expected);
    expect(await parse(body(byteByByte(wire)))).toEqual(expected);
    expect(await parse(body(['data: x\r', '\n', '\r', '\ndata: y\r', '\r']))).toEqual([{ data: 'x' }, { data: 'y' }]);
  });

  it('joins data lines, skips comments, keeps the last id, and follows the field rules', async () => {
    const wire = [
      ': keep-alive comment',
      'id: 7',
      'data: first',
      'data',
      'data:no space',
      'data:  two spaces',
      'retry: 1000',
      'unknown: field',
      '',
      'event: ping',
      '',
      'data: after',
      '',
      '',
    ].join('\n');
    expect(await parse(body([wire]))).toEqual([
      { id: '7', data: 'first\n\nno space\n two spaces' },
      { id: '7', data: 'after' },
    ]);
  });

  it('drops a last message that has no blank line after it, and strips a byte order mark', async () => {
    expect(await parse(body(['\uFEFFdata: complete\n\ndata: cut off\n']))).toEqual([{ data: 'complete' }]);
  });

  it('cancels the body when the reader stops early', async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('data: one\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const message of parseSseStream(stream)) {
      expect(message.data).toBe('one');
      break;
    }
    expect(cancelled).toBe(true);
  });
});
