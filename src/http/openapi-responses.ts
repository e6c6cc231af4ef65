/**
 * Responses shared by the route declarations (gateway and runtime): the error bodies a client must
 * handle, with the exact API Gateway bodies where the original answered from API Gateway. Schemas
 * are the zod schemas themselves, so the document is generated from what the service returns.
 */
import type { RouteConfig } from '@hono/zod-openapi';
import { z } from 'zod';
import { AsyncAcceptedSchema } from '../schemas/control.js';
import { SessionEventSchema } from '../schemas/events.js';
import { ErrorSchema, InvocationOutputSchema, type ErrorBody } from '../schemas/responses.js';
import { EXAMPLE_ASYNC_ACCEPTED, EXAMPLE_EVENT_STREAM, EXAMPLE_OUTPUT } from './examples.js';

/** One response of a route declaration. */
export type ResponseConfig = Exclude<RouteConfig['responses'][string], { $ref: string }>;
/** One media type of a response. */
export type MediaTypeConfig = Exclude<NonNullable<ResponseConfig['content']>[string], { $ref: string } | undefined>;

/** The Retry-After header of 429 and 503. */
export const RETRY_AFTER = {
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' as const, minimum: 0 } },
};

/** A JSON response of a schema, with an example. */
export const json = (description: string, schema: z.ZodType, example?: unknown): ResponseConfig => ({
  description,
  content: { 'application/json': { schema, ...(example === undefined ? {} : { example }) } },
});
/** An error response with an example body. */
export const error = (description: string, example: ErrorBody): ResponseConfig => json(description, ErrorSchema, example);
/** An error response with several example bodies. */
export const errors = (description: string, examples: Record<string, { summary: string; value: ErrorBody }>): ResponseConfig => ({
  description,
  content: { 'application/json': { schema: ErrorSchema, examples } },
});

/** The `Prefer` header of the invocation routes. */
export const PREFER_HEADER = z
  .string()
  .optional()
  .meta({
    description: '`respond-async`: answer 202 at once and run in the background, as `"async": true` in the body does.',
    examples: ['respond-async'],
  });

/** The three answers of the invocation routes, for their descriptions. */
export const RUN_ANSWERS =
  'Three answers to the same run: by default 200 `application/json` with the output once the run ends; with `Accept: text/event-stream`, 200 with the events of the run as they happen, the last one `invocation.completed` with the same output; with `"async": true` or `Prefer: respond-async`, 202 at once with where to follow it (`async` wins over `Accept`). A request refused before the run starts (400, 404, 409, 413, 503) gets JSON whatever it asked for.';

/** How events travel, for every `text/event-stream` response. */
export const SSE_FORMAT =
  'Server-Sent Events. Each event is one message: `id: <event id>`, `event: <type>`, `data: <the whole event as JSON, on one line>`, then a blank line; `data` is a `SessionEvent` (the schema here). A comment line `: keep-alive` comes every 15 s so proxies keep the connection open. To resume after a dropped connection, send the last `id` received as `Last-Event-ID` to `GET /sessions/{session_id}/events`.';

/** A `text/event-stream` body: the schema is that of one message's `data`. */
export const eventStream = (examples: Record<string, { summary: string; value: string }>): MediaTypeConfig => ({
  schema: SessionEventSchema,
  examples,
});

/** The run's events, `invocation.queued` to `invocation.completed`. */
const INVOCATION_STREAM = eventStream({ run: { summary: 'One invocation, as streamed', value: EXAMPLE_EVENT_STREAM } });

/** The 202 of an async invocation, with its headers. */
const ASYNC_ACCEPTED: ResponseConfig = {
  ...json(
    'Accepted (`"async": true` or `Prefer: respond-async`): the run goes on in the background. Follow it at `events_url`, fetch the result at `status_url`.',
    AsyncAcceptedSchema,
    EXAMPLE_ASYNC_ACCEPTED,
  ),
  headers: {
    'Preference-Applied': { description: '`respond-async`.', schema: { type: 'string', const: 'respond-async' } },
    Location: { description: 'The session: `status_url`.', schema: { type: 'string', format: 'uri' } },
  },
};

/** 403 for a missing or bad key, exactly as API Gateway answers. */
export const FORBIDDEN = error('Missing, unknown or revoked API key (the API Gateway body).', { message: 'Forbidden' });
/** The bodies of API Gateway's own 429s (rate, quota). */
const GATEWAY_429_EXAMPLES = {
  throttled: { summary: 'Over the rate limit (default 10/s, burst 20)', value: { message: 'Too Many Requests' } },
  quota: { summary: 'Over the daily quota (default 1,000 a day), until 00:00 UTC', value: { message: 'Limit Exceeded' } },
};
/**
 * A 429 with Retry-After whose bodies are API Gateway's own (rate, quota) and the route's own
 * refusals (`examples`, by name).
 * @example const BUSY = throttled('Over the rate or quota, or `busy`.', { busy: { summary: 'Busy', value: { message: '...', code: 'busy' } } });
 */
export function throttled(description: string, examples: Record<string, { summary: string; value: unknown }> = {}): ResponseConfig {
  return {
    description,
    headers: RETRY_AFTER,
    content: { 'application/json': { schema: ErrorSchema, examples: { ...GATEWAY_429_EXAMPLES, ...examples } } },
  };
}
/** 429 over the rate or the quota, exactly as API Gateway answers, with Retry-After. */
export const THROTTLED = throttled('Over the rate limit or the daily quota of the key (the API Gateway bodies).');
/** 429 of a run: the key's rate or quota (the API Gateway bodies), or its share of the run queue. */
export const RUN_THROTTLED = throttled(
  "Over the key's rate limit or daily quota (the API Gateway bodies), or the key already has as many runs waiting for a slot as it may (`key_queue_full`: its share of the queue, `cca keys update --max-queued`), or what is left of its budget is held by its runs in progress (`budget_held`).",
  {
    budget_held: {
      summary: "What is left of the key's budget is held by its runs in progress",
      value: {
        message:
          "What is left of this API key's daily budget ($0.80 of $5.00) is held by its 2 run(s) in progress: each holds its max_budget_usd until it ends. Retry when one ends, or send a smaller max_budget_usd so more runs fit.",
        code: 'budget_held',
        retry_after_s: 10,
        limit: 'day',
        budget_usd: 5,
        spent_usd: 4.2,
        resets_at: '2025-01-02T00:00:00.000Z',
        held_usd: 0.8,
        active_runs: 2,
      },
    },
    queue: {
      summary: "The key's share of the run queue is full",
      value: {
        message:
          'This API key already has 6 run(s) waiting for a slot, its limit; retry after one of them starts (about 5 s), or cancel one with POST /sessions/{session_id}/cancel. The operator can raise the limit with: cca keys update KEY_ID --max-queued N.',
        code: 'key_queue_full',
        retry_after_s: 5,
      },
    },
  },
);
/** 402: the key has spent its daily or monthly budget. */
export const BUDGET_EXCEEDED: ResponseConfig = {
  ...error(
    'The key has spent its budget for the UTC day or month (`cca keys update --budget-usd-day / --budget-usd-month`): no run starts until it resets, at `resets_at`, which `Retry-After` counts down to. Nothing was recorded. 402, not 429: retrying soon does not help, and 429 `Limit Exceeded` is the daily request quota.',
    {
      message:
        'This API key has spent $5.02 of its daily budget of $5.00 (2025-01-01, UTC), so no run starts until the budget resets at 2025-01-02T00:00:00.000Z (in 3600 s). The operator can raise or remove it with: cca keys update KEY_ID --budget-usd-day USD|none.',
      code: 'budget_exceeded',
      retry_after_s: 3600,
      limit: 'day',
      budget_usd: 5,
      spent_usd: 5.02,
      resets_at: '2025-01-02T00:00:00.000Z',
    },
  ),
  headers: RETRY_AFTER,
};
/** 507: the key's stored files fill its storage quota. */
export const STORAGE_QUOTA_FULL = error(
  "The key's stored files fill its storage quota (`CCA_STORAGE_QUOTA_MB`, or the key's own): a run could store nothing. Nothing was recorded. Room comes back as files pass the retention period, or when the operator raises the quota.",
  {
    message:
      "This API key's stored files take 10737418240 bytes of its 10737418240-byte storage quota, so a run could store nothing. Download what you need; stored files are deleted 30 days after they were stored, which frees room; the operator can raise the quota with: cca keys update KEY_ID --storage-quota MB.",
    code: 'storage_quota_exceeded',
    used_bytes: 10737418240,
    quota_bytes: 10737418240,
  },
);
/** A 400 body of an invalid invocation request. */
export const INVALID_REQUEST: ErrorBody = {
  message: 'prompt is required: a non-empty string with the task, e.g. "Create a hello world Python script".',
  code: 'invalid_request',
  issues: [{ field: 'prompt', message: 'prompt is required: a non-empty string with the task.' }],
};
const INTERNAL = error('Unexpected fault; the service logged the cause.', {
  message: 'Internal error: the service logged the cause. Retry, and report it if it persists.',
  code: 'internal',
});

/** The responses both invocation routes share. */
export function invocationResponses(maxBodyBytes: number): Record<string, ResponseConfig> {
  return {
    '200': {
      description: `The run ended (\`application/json\`, the default): \`success\` says whether it did the task; files written are stored either way. Or, with \`Accept: text/event-stream\`, the run's events as they happen, from \`invocation.queued\` to \`invocation.completed\` (which carries the same output), then the stream ends; the run goes on if the client hangs up. ${SSE_FORMAT}`,
      headers: {
        'X-Session-Id': { description: 'With `text/event-stream`: the session of the run.', schema: { type: 'string' } },
        'X-Invocation-Id': { description: 'With `text/event-stream`: the invocation.', schema: { type: 'string' } },
      },
      content: {
        'application/json': { schema: InvocationOutputSchema, example: EXAMPLE_OUTPUT },
        'text/event-stream': INVOCATION_STREAM,
      },
    },
    '202': ASYNC_ACCEPTED,
    '400': error('The body is not a valid request; the message names every problem and how to fix it.', INVALID_REQUEST),
    '409': error('The session already has an invocation queued or running.', {
      message:
        'Session 7c1e2f4a-5b6d-4e8f-9a0b-1c2d3e4f5a6b is already running an invocation; wait for it to finish, or use another session_id.',
      code: 'conflict',
    }),
    '413': error(`The body is larger than ${maxBodyBytes} bytes.`, {
      message: `The body is larger than ${maxBodyBytes} bytes; send a shorter prompt.`,
      code: 'payload_too_large',
      limit: maxBodyBytes,
    }),
    '503': {
      ...error('Every run slot and the queue are taken (with Retry-After), or no model provider is configured.', {
        message: 'All run slots and the queue are taken; retry in 5 s.',
        code: 'busy',
        retry_after_s: 5,
      }),
      headers: RETRY_AFTER,
    },
    '500': INTERNAL,
  };
}
