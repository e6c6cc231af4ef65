/**
 * The events of a session, as streamed over SSE (`GET /sessions/{id}/events`, and `POST /invoke`
 * with `Accept: text/event-stream`) and kept in SQLite for replay. Defined once here: the zod
 * schemas are the type, the validator of tests, and the OpenAPI description.
 *
 * On the wire each event is one SSE message: `id: <id>`, `event: <type>`, `data: <JSON of the
 * whole event>`. Ids count the events of one session (1, 2, 3...; they say nothing of other
 * sessions); a client resumes with `Last-Event-ID` or `?after=`.
 */
import { z } from 'zod';
import { InvocationOutputSchema, TokenUsageSchema } from './responses.js';

const base = {
  id: z.number().int().positive().meta({
    description:
      "The event's number in its session (1, 2, 3...; sessions older than per-session ids continue after their last global id); resume after it with Last-Event-ID.",
  }),
  session_id: z.string(),
  invocation_id: z.string(),
  at: z.string().meta({ description: 'ISO 8601 time the event was recorded.' }),
};

/** Longest text an event carries for a tool's input or result; longer text is cut and marked. */
export const EVENT_TEXT_LIMIT = 2000;

export const EventPayloads = {
  /** Accepted; `waiting` when no run slot is free yet. */
  'invocation.queued': z.object({
    prompt: z.string(),
    /** Why the run waits for a slot; absent when it starts at once. */
    waiting: z.enum(['service_busy', 'key_max_concurrent']).optional(),
  }),
  /** Claude Code is starting in the session's workspace. */
  'invocation.started': z.object({ resumed: z.boolean() }),
  /** The workspace is being prepared before the run: the repository is fetched and checked out (`percent` of the phase, when git says), or the inputs copied from S3. */
  'workspace.preparing': z.object({
    phase: z.enum(['restoring', 'fetching', 'receiving', 'resolving', 'checking_out', 'copying_inputs', 'ready']),
    percent: z.number().int().min(0).max(100).optional(),
    /** The repository being cloned (clone phases). */
    repository: z.string().optional(),
    /** The S3 folder being copied (`copying_inputs`, and its `ready`). */
    source: z.string().optional(),
    /** Files and bytes copied (the `ready` after `copying_inputs`), or fetched (after `restoring`). */
    files: z.number().int().min(0).optional(),
    bytes: z.number().int().min(0).optional(),
  }),
  /** Text the agent wrote. */
  'assistant.text': z.object({ text: z.string() }),
  /** A tool call: its name, a one-line summary and its input (truncated). */
  'tool.call': z.object({ tool_use_id: z.string(), tool: z.string(), summary: z.string(), input: z.string() }),
  /** What a tool returned (truncated). */
  'tool.result': z.object({ tool_use_id: z.string(), is_error: z.boolean(), content: z.string() }),
  /** A tool use waits for approval (manual mode): answer with POST /sessions/{id}/permissions/{request_id}. */
  'permission.request': z.object({ request_id: z.string(), tool: z.string(), input: z.string(), expires_at: z.string() }),
  /** How a permission request was answered: by the API, by the approval timeout, or by the mode's policy. */
  'permission.decision': z.object({
    request_id: z.string(),
    tool: z.string(),
    decision: z.enum(['allow', 'deny']),
    by: z.enum(['api', 'timeout', 'policy', 'cancel']),
    message: z.string().optional(),
  }),
  /** Tokens so far in this invocation (cumulative). */
  usage: z.object({ usage: TokenUsageSchema }),
  /** The run tried to connect to a host its egress allowlist does not hold (once per host and port). */
  'egress.denied': z.object({ host: z.string(), port: z.number().int() }),
  /** A file the invocation produced was stored. */
  'file.stored': z.object({ file_name: z.string(), size: z.number().int(), key: z.string(), download_url: z.string() }),
  /** The last event of an invocation: its final status and the whole output, in the seed's shape. */
  'invocation.completed': z.object({
    status: z.enum(['succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted']),
    output: InvocationOutputSchema.nullable(),
  }),
} as const;

export type EventType = keyof typeof EventPayloads;
export const EVENT_TYPES = Object.keys(EventPayloads) as EventType[];
export type EventPayload<T extends EventType> = z.infer<(typeof EventPayloads)[T]>;

/** One stored event of any type. */
export type SessionEvent = {
  [T in EventType]: { id: number; session_id: string; invocation_id: string; at: string; type: T; data: EventPayload<T> };
}[EventType];

/** The component name of an event type in the OpenAPI document: `tool.call` is `ToolCallEvent`. */
export function eventComponentName(type: string): string {
  return `${type.replace(/(^|[._])(\w)/g, (_m, _sep: string, ch: string) => ch.toUpperCase())}Event`;
}

/** What each event means (the contract's comments are not there at run time); a new type fails the type check until it is here. */
const EVENT_DESCRIPTIONS: Record<EventType, string> = {
  'invocation.queued':
    'Accepted. The first event of every invocation. `waiting` is there only when no run slot was free: every run slot of the service is busy (`service_busy`), or the API key already runs its `max_concurrent` runs (`key_max_concurrent`); the run starts (`invocation.started`) when one frees up. Without it, the run starts at once.',
  'invocation.started': "Claude Code is starting in the session's workspace; `resumed` when it continues the session's conversation.",
  'workspace.preparing':
    'The workspace is being prepared before the run: the repository is fetched (`fetching`, `receiving`, `resolving` with `percent`) and checked out (`checking_out`), then `ready`; or the objects of `input_s3_prefix` are copied (`copying_inputs` with `source`, then `ready` with `files` and `bytes`); or a session saved by another worker is restored (`restoring`, then `ready` with the `files` and `bytes` fetched). Counts in the timeout.',
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

/**
 * Zod schema of a stored event (a discriminated union on `type`), for validation in tests and the
 * OpenAPI document: `SessionEvent`, and one component per event type with what it means.
 */
export const SessionEventSchema = z
  .discriminatedUnion(
    'type',
    EVENT_TYPES.map((type) =>
      z
        .object({ ...base, type: z.literal(type), data: EventPayloads[type] })
        .meta({ id: eventComponentName(type), description: `\`${type}\`: ${EVENT_DESCRIPTIONS[type]}` }),
    ) as unknown as [z.ZodObject, z.ZodObject, ...z.ZodObject[]],
  )
  .meta({
    id: 'SessionEvent',
    description:
      'One session event: `type` says which, `data` carries its fields. Events gain types over time: skip a `type` you do not know.',
  });
