import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import { eventsFromSdkMessage, newUsageState, type EventDraft } from './from-sdk.js';
import { EVENT_TEXT_LIMIT, EventPayloads } from '../schemas/events.js';

const usage = (input: number, output: number, cacheWrite = 0, cacheRead = 0) => ({
  input_tokens: input,
  output_tokens: output,
  cache_creation_input_tokens: cacheWrite,
  cache_read_input_tokens: cacheRead,
});

function assistant(id: string, content: unknown[], u = usage(0, 0), parent: string | null = null): SDKMessage {
  return {
    type: 'assistant',
    message: { id, type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content, stop_reason: null, usage: u },
    parent_tool_use_id: parent,
    uuid: `uuid-${Math.random()}`,
    session_id: 'claude-session',
  } as unknown as SDKMessage;
}

function user(content: unknown, extra: Record<string, unknown> = {}): SDKMessage {
  return {
    type: 'user',
    message: { role: 'user', content },
    parent_tool_use_id: null,
    session_id: 'claude-session',
    ...extra,
  } as unknown as SDKMessage;
}

/** Every draft must satisfy the event contract. */
function valid(drafts: EventDraft[]): EventDraft[] {
  for (const draft of drafts) EventPayloads[draft.type].parse(draft.data);
  return drafts;
}

describe('eventsFromSdkMessage', () => {
  it('turns text blocks into assistant.text, then reports usage', () => {
    const state = newUsageState();
    const drafts = valid(eventsFromSdkMessage(assistant('msg_1', [{ type: 'text', text: 'Hello' }], usage(10, 5)), state));
    expect(drafts).toEqual([
      { type: 'assistant.text', data: { text: 'Hello' } },
      { type: 'usage', data: { usage: usage(10, 5) } },
    ]);
  });

  it('turns tool_use blocks into tool.call with a summary and the JSON input', () => {
    const input = { command: 'ls -la', description: 'List files' };
    const drafts = valid(
      eventsFromSdkMessage(assistant('msg_1', [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input }]), newUsageState()),
    );
    expect(drafts).toEqual([
      { type: 'tool.call', data: { tool_use_id: 'toolu_1', tool: 'Bash', summary: 'ls -la', input: JSON.stringify(input) } },
    ]);
  });

  it('cuts a long tool input', () => {
    const input = { file_path: '/w/big.txt', content: 'z'.repeat(5000) };
    const [call] = eventsFromSdkMessage(assistant('m', [{ type: 'tool_use', id: 't', name: 'Write', input }]), newUsageState());
    expect(call?.type).toBe('tool.call');
    const data = call?.data as { input: string; summary: string };
    expect(data.summary).toBe('/w/big.txt (1 line)');
    expect(data.input.startsWith(JSON.stringify(input).slice(0, EVENT_TEXT_LIMIT))).toBe(true);
    expect(data.input).toMatch(/… \[truncated \d+ chars\]$/);
  });

  it('ignores thinking blocks and empty text, and includes subagent messages', () => {
    const drafts = eventsFromSdkMessage(
      assistant(
        'm',
        [
          { type: 'thinking', thinking: 'hmm', signature: 's' },
          { type: 'text', text: '' },
          { type: 'text', text: 'sub' },
        ],
        usage(0, 0),
        'toolu_task',
      ),
      newUsageState(),
    );
    expect(drafts).toEqual([{ type: 'assistant.text', data: { text: 'sub' } }]);
  });

  it('counts the usage of a response once although every block repeats it', () => {
    const state = newUsageState();
    const first = eventsFromSdkMessage(assistant('msg_a', [{ type: 'text', text: 'a' }], usage(100, 20, 50, 7)), state);
    const again = eventsFromSdkMessage(
      assistant('msg_a', [{ type: 'tool_use', id: 't1', name: 'Read', input: { file_path: 'x' } }], usage(100, 20, 50, 7)),
      state,
    );
    const next = eventsFromSdkMessage(assistant('msg_b', [{ type: 'text', text: 'b' }], usage(30, 4, 0, 150)), state);
    expect(first.filter((d) => d.type === 'usage')).toEqual([{ type: 'usage', data: { usage: usage(100, 20, 50, 7) } }]);
    expect(again.map((d) => d.type)).toEqual(['tool.call']);
    expect(next.at(-1)).toEqual({ type: 'usage', data: { usage: usage(130, 24, 50, 157) } });
    expect(state.usage).toEqual(usage(130, 24, 50, 157));
  });

  it('follows a response whose usage grows while it streams, without counting it twice', () => {
    const state = newUsageState();
    eventsFromSdkMessage(assistant('msg_a', [{ type: 'text', text: 'a' }], usage(100, 1)), state);
    const grown = eventsFromSdkMessage(assistant('msg_a', [{ type: 'text', text: 'b' }], usage(100, 40)), state);
    expect(grown.at(-1)).toEqual({ type: 'usage', data: { usage: usage(100, 40) } });
    expect(state.usage).toEqual(usage(100, 40));
  });

  it('reports usage events as snapshots, not live references to the state', () => {
    const state = newUsageState();
    const [, event] = eventsFromSdkMessage(assistant('m1', [{ type: 'text', text: 'a' }], usage(1, 1)), state);
    eventsFromSdkMessage(assistant('m2', [{ type: 'text', text: 'b' }], usage(5, 5)), state);
    expect(event).toEqual({ type: 'usage', data: { usage: usage(1, 1) } });
  });

  it('turns a string tool_result into tool.result, is_error false by default', () => {
    const drafts = valid(
      eventsFromSdkMessage(user([{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'total 0' }]), newUsageState()),
    );
    expect(drafts).toEqual([{ type: 'tool.result', data: { tool_use_id: 'toolu_1', is_error: false, content: 'total 0' } }]);
  });

  it('joins array content, naming what is not text, and keeps is_error', () => {
    const content = [
      { type: 'text', text: 'line one' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
      { type: 'text', text: 'line two' },
    ];
    const drafts = valid(
      eventsFromSdkMessage(
        user([
          { type: 'tool_result', tool_use_id: 't1', content, is_error: true },
          { type: 'tool_result', tool_use_id: 't2' },
        ]),
        newUsageState(),
      ),
    );
    expect(drafts).toEqual([
      { type: 'tool.result', data: { tool_use_id: 't1', is_error: true, content: 'line one\n[image]\nline two' } },
      { type: 'tool.result', data: { tool_use_id: 't2', is_error: false, content: '' } },
    ]);
  });

  it('cuts a long tool result at a code point boundary', () => {
    const text = `${'a'.repeat(EVENT_TEXT_LIMIT - 1)}😀${'b'.repeat(10)}`;
    const [result] = eventsFromSdkMessage(user([{ type: 'tool_result', tool_use_id: 't', content: text }]), newUsageState());
    const content = (result?.data as { content: string }).content;
    expect(content).toBe(`${'a'.repeat(EVENT_TEXT_LIMIT - 1)}… [truncated 12 chars]`);
  });

  it('maps prompts, replays and other messages to nothing', () => {
    const state = newUsageState();
    expect(eventsFromSdkMessage(user('Create a FastAPI server'), state)).toEqual([]);
    expect(eventsFromSdkMessage(user([{ type: 'text', text: 'more' }]), state)).toEqual([]);
    expect(eventsFromSdkMessage(user([{ type: 'tool_result', tool_use_id: 'old', content: 'x' }], { isReplay: true }), state)).toEqual([]);
    const init = { type: 'system', subtype: 'init', model: 'm', session_id: 's' } as unknown as SDKMessage;
    const result = { type: 'result', subtype: 'success', result: 'done', usage: usage(9, 9) } as unknown as SDKMessage;
    expect(eventsFromSdkMessage(init, state)).toEqual([]);
    expect(eventsFromSdkMessage(result, state)).toEqual([]);
    expect(state.usage).toEqual(usage(0, 0));
  });
});
