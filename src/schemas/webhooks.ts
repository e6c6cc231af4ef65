/**
 * Webhooks: what a request subscribes with (`webhook: {url, events?}`), what the service POSTs to
 * that URL for each event type (Standard Webhooks: `{type, timestamp, data}`), and the deliveries
 * `GET /sessions/{session_id}/webhooks` lists. The zod schemas are the types, the validation and
 * the OpenAPI document's `webhooks` and components.
 */
import { z } from 'zod';
import { StopReasonSchema, TokenUsageSchema } from './responses.js';

/** The event types a webhook can receive. `invocation.completed` is a run that succeeded; the other three end one that did not. */
export const WEBHOOK_EVENT_TYPES = [
  'invocation.completed',
  'invocation.failed',
  'invocation.cancelled',
  'invocation.timed_out',
  'permission.request',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Longest webhook URL, in characters. */
export const WEBHOOK_URL_MAX = 2048;

const EVENTS_MESSAGE = `webhook.events must be a non-empty list of: ${WEBHOOK_EVENT_TYPES.join(', ')} (omit it for all of them).`;

/** A webhook secret: `whsec_` and the base64 of 24 to 64 random bytes (the Standard Webhooks form). */
export const WebhookSecretSchema = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'a webhook secret is "whsec_" followed by base64, e.g. whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')
  .refine((s) => {
    const bytes = Buffer.from(s.slice('whsec_'.length), 'base64').length;
    return bytes >= 24 && bytes <= 64;
  }, 'a webhook secret must encode 24 to 64 bytes (32 random bytes in base64 is 44 characters)');

/** The `webhook` field of an invocation request. */
export const WebhookRequestSchema = z
  .strictObject(
    {
      url: z
        .string({ error: 'webhook.url is required: the https URL the service POSTs the events to.' })
        .min(1, 'webhook.url must not be empty.')
        .max(WEBHOOK_URL_MAX, `webhook.url is at most ${WEBHOOK_URL_MAX} characters.`)
        .meta({
          description:
            'Where the events go: an https URL without credentials (http only to hosts the operator lists in CCA_PRIVATE_HOSTS). Its host must resolve to a public address when each delivery is made, unless the operator allows it.',
          examples: ['https://example.com/hooks/cca'],
        }),
      events: z
        .array(z.enum(WEBHOOK_EVENT_TYPES, { error: EVENTS_MESSAGE }), { error: EVENTS_MESSAGE })
        .min(1, EVENTS_MESSAGE)
        .max(WEBHOOK_EVENT_TYPES.length, EVENTS_MESSAGE)
        .meta({
          description: 'The event types to deliver; omitted: all of them.',
          examples: [['invocation.completed', 'invocation.failed']],
        })
        .optional(),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `webhook takes only "url" and "events"; remove ${issue.keys.map((k) => `"${k.slice(0, 60)}"`).join(', ')}.`
          : 'webhook must be an object {"url": "https://...", "events"?: [...]}, or null for none.',
    },
  )
  .meta({
    id: 'WebhookSubscription',
    description:
      "Signed POSTs of this invocation's end and permission requests to `url` (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature` headers), retried with backoff for about a day. Omitted: the API key's default webhook, if the operator set one; null: none, even then. Not carried to later invocations of the session: send it with each request that wants it.",
  });
export type WebhookRequest = z.infer<typeof WebhookRequestSchema>;

const ids = {
  session_id: z.string().meta({ description: 'The session.' }),
  invocation_id: z.string().meta({ description: 'The invocation.' }),
};
const isoTime = (description: string) => z.string().meta({ description, examples: ['2025-01-01T12:00:00.000Z'] });

/** A stored file as a webhook lists it: enough to fetch it while the link lasts. */
const WebhookFileSchema = z.object({
  file_name: z.string().meta({ description: 'Path relative to the session workspace.' }),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  content_type: z.string(),
  download_url: z.string().meta({ description: 'Signed link, valid until `expires_at`; after that, `links.session` gives fresh ones.' }),
  expires_at: z.string(),
});

/** The data of the four events that end an invocation. */
export const InvocationEndedDataSchema = z
  .object({
    ...ids,
    status: z.enum(['succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted']).meta({
      description: 'The final status; `interrupted` (the service stopped during the run) comes as `invocation.failed`.',
    }),
    success: z.boolean(),
    result: z.string().meta({ description: "The agent's final answer, or what went wrong: its first 4000 characters." }),
    result_truncated: z.boolean().meta({ description: 'True when `result` was cut; the whole of it is in `GET /sessions/{session_id}`.' }),
    stop_reason: StopReasonSchema,
    error_code: z.string().optional().meta({ description: 'With `workspace_error`: the stable code of what went wrong.' }),
    errors: z.array(z.string()).meta({ description: 'The first 20 problems, in order; empty on success.' }),
    model: z.string().nullable(),
    cost_usd: z.number().nonnegative(),
    usage: TokenUsageSchema,
    duration_ms: z.number().int().nonnegative(),
    num_turns: z.number().int().nonnegative(),
    files: z.array(WebhookFileSchema).meta({ description: 'The first 100 files the run stored, in path order.' }),
    files_total: z.number().int().nonnegative().meta({ description: 'Files the run stored, listed or not.' }),
    files_truncated: z.boolean().meta({ description: 'True when `files` lists fewer than `files_total`.' }),
    links: z
      .object({
        session: z.string().meta({ description: 'GET it with the API key: the whole result and fresh download links.' }),
        files: z.string().meta({ description: 'GET it with the API key: every file of the invocation, a page at a time.' }),
      })
      .optional()
      .meta({ description: 'Present when the service has a public API (`cca serve`, or CCA_PUBLIC_URL).' }),
  })
  .meta({ id: 'WebhookInvocationEnded', description: 'How an invocation ended: result, cost, tokens and its stored files.' });
export type InvocationEndedData = z.infer<typeof InvocationEndedDataSchema>;

/** The data of `permission.request`. */
export const PermissionRequestDataSchema = z
  .object({
    ...ids,
    request_id: z.string().meta({ description: 'The request to answer.' }),
    tool: z.string().meta({ description: 'The tool the agent wants to use.', examples: ['Bash'] }),
    input_summary: z.string().meta({ description: 'What the tool use does, in one line.', examples: ['rm -rf build'] }),
    input: z.string().meta({ description: "The tool's input as JSON (cut at 2000 characters)." }),
    expires_at: isoTime('When it is denied if nobody answers.'),
    answer: z
      .object({
        method: z.literal('POST'),
        url: z.string().meta({
          description:
            'Where to send the answer, with the API key: `POST /sessions/{session_id}/permissions/{request_id}` of the public API; where the service has none (`cca runtime`), its `/invocations` with a control body.',
        }),
        headers: z
          .record(z.string(), z.string())
          .optional()
          .meta({ description: 'Headers the answer needs besides the API key (the session header, for `/invocations`).' }),
        body: z.record(z.string(), z.unknown()).meta({
          description: 'The answer to allow it; `"decision": "deny"` (and an optional `"message"`) refuses it.',
          examples: [{ decision: 'allow' }, { control: { action: 'permission', request_id: 'perm_1', decision: 'allow' } }],
        }),
      })
      .meta({ description: 'How to answer it (`cca approve SESSION_ID REQUEST_ID [--deny]` does the same under `cca serve`).' }),
  })
  .meta({ id: 'WebhookPermissionRequest', description: 'A tool use waits for approval (permission mode manual).' });
export type PermissionRequestData = z.infer<typeof PermissionRequestDataSchema>;

/** The body of every delivery, per type: `{type, timestamp, data}`. */
export const WEBHOOK_PAYLOAD_SCHEMAS = Object.fromEntries(
  WEBHOOK_EVENT_TYPES.map((type) => [
    type,
    z.object({
      type: z.literal(type),
      timestamp: isoTime('When the event happened (ISO 8601, UTC); the same on every retry.'),
      data: type === 'permission.request' ? PermissionRequestDataSchema : InvocationEndedDataSchema,
    }),
  ]),
) as unknown as { [T in WebhookEventType]: z.ZodObject };

/** Any delivery body. */
export const WebhookPayloadSchema = z
  .discriminatedUnion(
    'type',
    WEBHOOK_EVENT_TYPES.map((type) => WEBHOOK_PAYLOAD_SCHEMAS[type]) as unknown as [z.ZodObject, z.ZodObject, ...z.ZodObject[]],
  )
  .meta({ id: 'WebhookPayload', description: 'The JSON body of a webhook delivery.' });
export type WebhookPayload =
  | { type: Exclude<WebhookEventType, 'permission.request'>; timestamp: string; data: InvocationEndedData }
  | { type: 'permission.request'; timestamp: string; data: PermissionRequestData };

/** Where a delivery is: waiting for its next attempt, received by a 2xx, or given up. */
export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** One delivery as `GET /sessions/{session_id}/webhooks` shows it (never the secret). */
export const WebhookDeliverySchema = z
  .object({
    id: z.string().meta({
      description: 'The `webhook-id` header: the same on every attempt; receivers dedupe on it.',
      examples: ['msg_2b7GqfXw9TYbC1r4NnS8eA'],
    }),
    invocation_id: z.string(),
    type: z.enum(WEBHOOK_EVENT_TYPES),
    url: z.string(),
    state: z.enum(DELIVERY_STATES).meta({
      description: '`pending`: waiting for its next attempt; `delivered`: a 2xx answered; `failed`: given up (see `last_error`).',
    }),
    attempts: z.number().int().nonnegative().meta({ description: 'Attempts made so far.' }),
    max_attempts: z.number().int().positive().meta({ description: 'Attempts the retry schedule allows.' }),
    created_at: isoTime('When the event happened.'),
    last_attempt_at: z.string().nullable(),
    last_status: z.number().int().nullable().meta({ description: "The receiver's HTTP status on the last attempt; null: no answer." }),
    last_error: z.string().nullable().meta({ description: 'Why the last attempt did not deliver it.' }),
    next_attempt_at: z.string().nullable().meta({ description: 'When it is tried again (pending only).' }),
    delivered_at: z.string().nullable(),
  })
  .meta({ id: 'WebhookDelivery', description: 'One event sent (or being sent) to a webhook, with its attempts.' });
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;

/** `GET /sessions/{session_id}/webhooks`. */
export const WebhookDeliveryListSchema = z
  .object({
    session_id: z.string(),
    deliveries: z.array(WebhookDeliverySchema).meta({ description: 'Newest first.' }),
    next_cursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  })
  .meta({ id: 'WebhookDeliveryList', description: "One page of a session's webhook deliveries." });
export type WebhookDeliveryList = z.infer<typeof WebhookDeliveryListSchema>;
