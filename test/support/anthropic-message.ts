/**
 * One scripted assistant message in the Anthropic Messages API's shapes: the whole JSON body, or the
 * streaming events in order. The Anthropic server writes the events as SSE, the Bedrock server wraps
 * each one in an AWS event-stream frame; both play the same scripts.
 */
import type { Block } from './model-server.js';

export interface MessageSpec {
  id: string;
  model: string;
  content: Block[];
  usage: { input_tokens: number; output_tokens: number };
}

/** Each event carries its own `type`, as the API sends it. */
export type StreamEvent = { type: string } & Record<string, unknown>;

/** `tool_use` when the message calls a tool, else `end_turn`. */
export function stopReasonOf(content: Block[]): 'tool_use' | 'end_turn' {
  return content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
}

/** The non-streaming response body. */
export function messageJson(m: MessageSpec): Record<string, unknown> {
  return {
    id: m.id,
    type: 'message',
    role: 'assistant',
    model: m.model,
    content: m.content,
    stop_reason: stopReasonOf(m.content),
    stop_sequence: null,
    usage: m.usage,
  };
}

/** The opening events up to and including the last content block (no message_delta/message_stop). */
export function openingEvents(m: MessageSpec): StreamEvent[] {
  const events: StreamEvent[] = [
    {
      type: 'message_start',
      message: { ...messageJson(m), content: [], stop_reason: null, usage: { input_tokens: m.usage.input_tokens, output_tokens: 1 } },
    },
  ];
  m.content.forEach((block, index) => {
    if (block.type === 'text') {
      events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: block.text } });
    } else {
      events.push({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } });
    }
    events.push({ type: 'content_block_stop', index });
  });
  return events;
}

/** The whole event sequence: message_start ... message_stop. */
export function streamEvents(m: MessageSpec): StreamEvent[] {
  return [
    ...openingEvents(m),
    {
      type: 'message_delta',
      delta: { stop_reason: stopReasonOf(m.content), stop_sequence: null },
      usage: { output_tokens: m.usage.output_tokens },
    },
    { type: 'message_stop' },
  ];
}
