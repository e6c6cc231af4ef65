/**
 * The docs page's event-stream reader (web/docs/sse.ts): vitest runs under Node, and the reader
 * touches no DOM, so it is tested here beside the page's browser test.
 */
import { describe, expect, it } from 'vitest';
import { formatSse } from '../../src/events/sse.js';
import { SseParser } from '../../web/docs/sse.js';

describe('SseParser', () => {
  it('reads events split anywhere across chunks, with their type, id and data', () => {
    const wire =
      'id: 4\nevent: assistant.text\ndata: {"text":"hi"}\n\n: keep-alive\n\nid: 5\r\nevent: tool.call\r\ndata: one\r\ndata: two\r\n\r\n';
    for (let size = 1; size <= wire.length; size++) {
      const sse = new SseParser();
      const events = [];
      for (let i = 0; i < wire.length; i += size) events.push(...sse.push(wire.slice(i, i + size)));
      expect(events).toEqual([
        { event: 'assistant.text', id: '4', data: '{"text":"hi"}' },
        { event: 'tool.call', id: '5', data: 'one\ntwo' },
      ]);
      expect(sse.comments).toBe(1);
    }
  });

  it("reads the service's own stream format", () => {
    const event = {
      id: 9,
      session_id: 's',
      invocation_id: 'i',
      at: '2025-01-01T00:00:00.000Z',
      type: 'assistant.text',
      data: { text: 'a\nb' },
    };
    const [read] = new SseParser().push(formatSse(event as never));
    expect(read).toMatchObject({ event: 'assistant.text', id: '9' });
    expect(JSON.parse(read!.data)).toEqual(event);
  });

  it('holds an event back until its blank line, and a lone CR until the next chunk', () => {
    const sse = new SseParser();
    expect(sse.push('event: a\ndata: x\r')).toEqual([]);
    expect(sse.push('\n')).toEqual([]);
    expect(sse.push('\n')).toEqual([{ event: 'a', data: 'x' }]);
    expect(sse.push('data: no type\n\n')).toEqual([{ event: 'message', data: 'no type' }]);
  });
});
