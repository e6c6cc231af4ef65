/**
 * The session events in the OpenAPI document: `SessionEvent`, a union discriminated by `type`, and
 * one component per event type, all generated from the event contract's `SessionEventSchema`.
 */
import { z } from 'zod';
import { EVENT_TYPES, SessionEventSchema, type EventType } from '../../schemas/events.js';
import type { JsonSchema } from './openapi-types.js';

/** What each event means (the contract's comments are not there at run time); a new type fails the type check until it is here. */
const EVENT_DESCRIPTIONS: Record<EventType, string> = {
  'invocation.queued': 'Accepted; waiting for a run slot. The first event of every invocation.',
  'invocation.started': "Claude Code is starting in the session's workspace; `resumed` when it continues the session's conversation.",
  'assistant.text': 'Text the agent wrote.',
  'tool.call': 'A tool call: its name, a one-line summary and its input as JSON (truncated).',
  'tool.result': 'What a tool returned (truncated).',
  'permission.request':
    'manual mode: a tool use waits for approval. Answer with `POST /sessions/{session_id}/permissions/{request_id}` before `expires_at`, or it is denied.',
  'permission.decision':
    'How a permission request was answered: by the API, by the approval timeout, by the policy of the mode, or by the run ending.',
  usage: 'Tokens so far in this invocation (cumulative).',
  'egress.denied':
    'The run tried to connect to a host its egress allowlist does not hold, and was refused (reported once per host and port). Add the host to `allowed_domains` if the task needs it.',
  'file.stored': 'A file the invocation created or changed was stored.',
  'invocation.completed': 'The last event of an invocation: its final status and the whole output, as the synchronous answer has it.',
};

/** The component name of an event type: `tool.call` is `ToolCallEvent`. */
export function eventComponentName(type: string): string {
  return `${type.replace(/(^|[._])(\w)/g, (_m, _sep: string, ch: string) => ch.toUpperCase())}Event`;
}

/** `SessionEvent` and one schema per event type, by component name, to generate in one registry. */
export function eventSchemas(): Record<string, z.ZodType> {
  const byType = SessionEventSchema.options.map((option) => [eventComponentName(typeOf(option)), option] as const);
  return { SessionEvent: SessionEventSchema, ...Object.fromEntries(byType) };
}

/** Adds what zod cannot say to the generated components: a description per event type and the OpenAPI discriminator. */
export function describeEvents(schemas: Record<string, JsonSchema>): void {
  const union = schemas.SessionEvent;
  if (union === undefined) throw new Error('SessionEvent was not generated');
  union.description =
    'One session event: `type` says which, `data` carries its fields. Events gain types over time: skip a `type` you do not know.';
  union.discriminator = {
    propertyName: 'type',
    mapping: Object.fromEntries(EVENT_TYPES.map((type) => [type, `#/components/schemas/${eventComponentName(type)}`])),
  };
  for (const type of EVENT_TYPES) {
    const component = schemas[eventComponentName(type)];
    if (component === undefined) throw new Error(`No component for event ${type}`);
    component.description = `\`${type}\`: ${EVENT_DESCRIPTIONS[type]}`;
  }
}

function typeOf(option: z.ZodObject): string {
  const literal = option.shape.type;
  if (!(literal instanceof z.ZodLiteral)) throw new Error('every event schema has a literal `type`');
  return String(literal.value);
}
