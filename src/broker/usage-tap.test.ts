/**
 * The usage tap on the three ways a model answer arrives, fed in chunks cut anywhere (as TCP
 * delivers them): Anthropic SSE, Bedrock event-stream frames (made by the AWS SDK's own codec),
 * and whole JSON bodies; and the estimate charged when an answer ends without its usage.
 */
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { describe, expect, it } from 'vitest';
import { usageTap, type ResponseUsage } from './usage-tap.js';

const START = {
  type: 'message_start',
  message: {
    id: 'msg_1',
    model: 'claude-haiku-4-5',
    content: [],
    usage: { input_tokens: 1200, cache_creation_input_tokens: 30, cache_read_input_tokens: 400, output_tokens: 1 },
  },
};
const TEXT = { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'héllo ✓ '.repeat(50) } };
const DELTA = { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 345 } };
const FINAL: ResponseUsage = { input_tokens: 1200, cache_creation_input_tokens: 30, cache_read_input_tokens: 400, output_tokens: 345 };

function feed(contentType: string, bytes: Buffer, cut: number, requestBytes = 0) {
  const seen: { model: string | undefined; usage: ResponseUsage }[] = [];
  const tap = usageTap(contentType, requestBytes, (model, usage) => seen.push({ model, usage }));
  for (let at = 0; at < bytes.length; at += cut) tap.write(bytes.subarray(at, at + cut));
  tap.end();
  tap.end();
  return seen;
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const frame = (payload: unknown, type = 'event') =>
  Buffer.from(
    codec.encode({
      headers: { ':message-type': { type: 'string', value: type }, ':event-type': { type: 'string', value: 'chunk' } },
      body: fromUtf8(JSON.stringify(payload)),
    }),
  );
const chunk = (event: unknown) => frame({ bytes: Buffer.from(JSON.stringify(event)).toString('base64') });

const sse = (events: unknown[]) =>
  Buffer.from(events.map((e) => `event: ${(e as { type: string }).type}\ndata: ${JSON.stringify(e)}\n\n`).join(''), 'utf8');

describe('usageTap', () => {
  it('reads SSE: the input at message_start, the output at message_delta, whatever the chunking', () => {
    const bytes = sse([START, TEXT, DELTA, { type: 'message_stop' }]);
    for (const cut of [1, 3, 7, 64, 100_000]) {
      const seen = feed('text/event-stream; charset=utf-8', bytes, cut);
      expect(
        seen.map((s) => s.usage.output_tokens),
        `cut ${cut}`,
      ).toEqual([1, 345]);
      expect(seen.at(-1)).toEqual({ model: 'claude-haiku-4-5', usage: FINAL });
    }
  });

  it('reads a last line without a newline, skips lines too long to be usage, and survives lines that are not JSON', () => {
    const long = `data: ${JSON.stringify({ type: 'content_block_delta', delta: { text: 'x'.repeat(600_000) } })}\n`;
    const bytes = Buffer.from(
      `data: {"type":"message_start", broken\n${long}data: ${JSON.stringify(START)}\ndata: ${JSON.stringify(DELTA)}`,
    );
    expect(feed('text/event-stream', bytes, 4096).at(-1)?.usage).toEqual(FINAL);
  });

  it('reads Bedrock event-stream frames (base64 events), skipping exception frames', () => {
    const bytes = Buffer.concat([chunk(START), chunk(TEXT), chunk(DELTA), frame({ message: 'throttled' }, 'exception')]);
    for (const cut of [5, 33, 100_000]) {
      expect(feed('application/vnd.amazon.eventstream', bytes, cut).at(-1), `cut ${cut}`).toEqual({
        model: 'claude-haiku-4-5',
        usage: FINAL,
      });
    }
  });

  describe('a stream cut before its usage: charged for the content that streamed', () => {
    // TEXT's text is 550 UTF-8 bytes; tool input, thinking and its signature count alike.
    const TOOL = { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"path": "a.ts"' } };
    const THINK = { type: 'content_block_delta', index: 2, delta: { type: 'thinking_delta', thinking: 'hmm' } };
    const SIGN = { type: 'content_block_delta', index: 2, delta: { type: 'signature_delta', signature: 'c2lnbmF0dXJl' } };
    const content = 550 + 15 + 3 + 12;

    it('SSE: message_start, then an estimate of ceil(bytes / 3) output tokens at the end', () => {
      const bytes = sse([START, TEXT, TOOL, THINK, SIGN, { type: 'ping' }]);
      for (const cut of [1, 7, 100_000]) {
        const seen = feed('text/event-stream', bytes, cut);
        expect(
          seen.map((s) => s.usage.output_tokens),
          `cut ${cut}`,
        ).toEqual([1, Math.ceil(content / 3)]);
        expect(seen.at(-1)).toEqual({ model: 'claude-haiku-4-5', usage: { ...FINAL, output_tokens: Math.ceil(content / 3) } });
      }
    });

    it('SSE: a line cut in the middle counts as content, and so does a line too long to parse', () => {
      const long = `data: ${JSON.stringify({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'x'.repeat(600_000) } })}\n`;
      const cutLine = `data: ${JSON.stringify(TEXT)}`.slice(0, 150);
      const seen = feed('text/event-stream', Buffer.from(`data: ${JSON.stringify(START)}\n${long}${cutLine}`), 4096);
      expect(seen.at(-1)?.usage.output_tokens).toBeGreaterThanOrEqual(Math.ceil((600_000 + 100) / 3));
    });

    it('never less than message_start said, and the final usage wins over the estimate', () => {
      const early = { ...START, message: { ...START.message, usage: { ...START.message.usage, output_tokens: 900 } } };
      expect(feed('text/event-stream', sse([early, TEXT]), 64).at(-1)?.usage.output_tokens).toBe(900);
      // The complete stream: message_delta's 345, though the text alone would estimate 134.
      const seen = feed('text/event-stream', sse([START, TEXT, DELTA]), 64);
      expect(seen.map((s) => s.usage.output_tokens)).toEqual([1, 345]);
    });

    it('Bedrock event-stream: the same, from the base64 events, and a frame cut in the middle counts', () => {
      const whole = Buffer.concat([chunk(START), chunk(TEXT)]);
      expect(feed('application/vnd.amazon.eventstream', whole, 33).at(-1)?.usage.output_tokens).toBe(Math.ceil(550 / 3));
      const half = chunk(TEXT).subarray(0, 300);
      const seen = feed('application/vnd.amazon.eventstream', Buffer.concat([chunk(START), half]), 33);
      expect(seen.at(-1)?.usage.output_tokens).toBe(Math.ceil(300 / 3));
    });
  });

  it('charges an answer it cannot read at all from its bytes and the request’s', () => {
    const llama = Buffer.from(JSON.stringify({ generation: 'z'.repeat(90), prompt_token_count: 9, generation_token_count: 30 }));
    expect(feed('application/json', llama, 5, 30)).toEqual([
      { model: undefined, usage: { input_tokens: 10, output_tokens: Math.ceil(llama.length / 3) } },
    ]);
    const truncated = Buffer.from('{"type":"message", trunc');
    expect(feed('application/json', truncated, 5).at(-1)?.usage).toEqual({
      input_tokens: 0,
      output_tokens: Math.ceil(truncated.length / 3),
    });
    expect(feed('text/plain', Buffer.from('abcdef'), 2)).toEqual([{ model: undefined, usage: { input_tokens: 0, output_tokens: 2 } }]);
    expect(feed('text/plain', Buffer.alloc(0), 2)).toEqual([]);
  });

  it('reads a whole JSON message', () => {
    const message = {
      id: 'msg_2',
      type: 'message',
      model: 'claude-sonnet-4-5',
      content: [],
      usage: { input_tokens: 10, output_tokens: 20 },
    };
    expect(feed('application/json', Buffer.from(JSON.stringify(message)), 5)).toEqual([
      { model: 'claude-sonnet-4-5', usage: { input_tokens: 10, output_tokens: 20 } },
    ]);
  });

  it('keeps only growing counts: a later event with smaller or hostile numbers changes nothing', () => {
    const hostile = { type: 'message_delta', usage: { output_tokens: -5, input_tokens: 'many', cache_read_input_tokens: null } };
    const seen = feed('text/event-stream', sse([START, DELTA, hostile, { ...DELTA, usage: { output_tokens: 10 } }]), 50);
    expect(seen).toHaveLength(2);
    expect(seen.at(-1)?.usage).toEqual(FINAL);
  });

  it('carries 1-hour cache writes, web searches and the inference region', () => {
    const start = {
      type: 'message_start',
      message: {
        model: 'claude-sonnet-4-5',
        usage: {
          input_tokens: 5,
          cache_creation: { ephemeral_1h_input_tokens: 7 },
          server_tool_use: { web_search_requests: 2 },
          inference_geo: 'us',
        },
      },
    };
    expect(feed('text/event-stream', sse([start]), 9).at(-1)?.usage).toEqual({
      input_tokens: 5,
      cache_creation: { ephemeral_1h_input_tokens: 7 },
      server_tool_use: { web_search_requests: 2 },
      inference_geo: 'us',
    });
  });
});
