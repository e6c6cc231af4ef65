/**
 * SDK messages → our events: a pure mapping, so the runner's loop only forwards messages and the
 * tests need no Claude Code process.
 */
import type { SDKAssistantMessage, SDKMessage, SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';
import type { TokenUsage } from '../schemas/responses.js';
import type { EventPayload, EventType } from '../schemas/events.js';
import { summarizeToolInput } from './summarize.js';
import { truncate } from './truncate.js';

/** An event before it is stored: its type and payload, without id, session, invocation or time. */
export type EventDraft = { [T in EventType]: { type: T; data: EventPayload<T> } }[EventType];

/** Token counts of one invocation so far; `seen` holds the latest usage of each model response. */
export interface UsageState {
  seen: Map<string, TokenUsage>;
  usage: TokenUsage;
}

const USAGE_FIELDS = ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const;

/** A fresh usage state, one per invocation. */
export function newUsageState(): UsageState {
  return { seen: new Map(), usage: zeroUsage() };
}

/**
 * The events one SDK message stands for (often none); updates `state` with the message's usage.
 * @example for (const draft of eventsFromSdkMessage(message, state)) events.emit(sessionId, invocationId, draft);
 */
export function eventsFromSdkMessage(message: SDKMessage, state: UsageState): EventDraft[] {
  if (message.type === 'assistant') return fromAssistant(message, state);
  // A replayed user message repeats the conversation's past, whose events were already recorded.
  if (message.type === 'user' && !('isReplay' in message && message.isReplay)) return fromUser(message);
  return [];
}

function fromAssistant(message: SDKAssistantMessage, state: UsageState): EventDraft[] {
  const drafts: EventDraft[] = [];
  for (const block of message.message.content) {
    if (block.type === 'text' && block.text !== '') {
      drafts.push({ type: 'assistant.text', data: { text: block.text } });
    } else if (block.type === 'tool_use') {
      const input = JSON.stringify(block.input) ?? '';
      drafts.push({
        type: 'tool.call',
        data: { tool_use_id: block.id, tool: block.name, summary: summarizeToolInput(block.name, block.input), input: truncate(input) },
      });
    }
  }
  // Synthetic messages (API errors) may lack an id; their uuid keeps them apart.
  const key = message.message.id || message.uuid;
  if (addUsage(state, key, message.message.usage)) drafts.push({ type: 'usage', data: { usage: { ...state.usage } } });
  return drafts;
}

/**
 * Claude Code sends one assistant message per content block, all carrying the usage of the same
 * model response, and that usage may still grow until the response ends. Counting each response
 * once, at its largest, keeps the total right; returns whether the total changed.
 */
function addUsage(state: UsageState, key: string, raw: unknown): boolean {
  const previous = state.seen.get(key);
  const latest = readUsage(raw);
  let changed = false;
  const merged = zeroUsage();
  for (const field of USAGE_FIELDS) {
    const before = previous?.[field] ?? 0;
    merged[field] = Math.max(before, latest[field]);
    if (merged[field] !== before) {
      state.usage[field] += merged[field] - before;
      changed = true;
    }
  }
  state.seen.set(key, merged);
  return changed;
}

function readUsage(raw: unknown): TokenUsage {
  const usage = zeroUsage();
  if (typeof raw !== 'object' || raw === null) return usage;
  for (const field of USAGE_FIELDS) {
    const value = (raw as Record<string, unknown>)[field];
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) usage[field] = value;
  }
  return usage;
}

function zeroUsage(): TokenUsage {
  return { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
}

function fromUser(message: SDKUserMessage): EventDraft[] {
  const content = message.message.content;
  // A string is a prompt, never a tool result.
  if (typeof content === 'string') return [];
  const drafts: EventDraft[] = [];
  for (const block of content) {
    if (block.type !== 'tool_result') continue;
    drafts.push({
      type: 'tool.result',
      data: { tool_use_id: block.tool_use_id, is_error: block.is_error ?? false, content: truncate(resultText(block.content)) },
    });
  }
  return drafts;
}

function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: unknown) => partText(part)).join('\n');
}

/** Text parts as they are; anything else as a placeholder naming its kind, e.g. "[image]". */
function partText(part: unknown): string {
  if (typeof part !== 'object' || part === null) return '';
  const { type, text } = part as { type?: unknown; text?: unknown };
  if (type === 'text' && typeof text === 'string') return text;
  return `[${typeof type === 'string' ? type.replaceAll('_', ' ') : 'content'}]`;
}
