/**
 * `GET /sessions/{session_id}/webhooks`: the webhook deliveries of a session's invocations, newest
 * first, with their state and attempts, so a caller can see why an event did not arrive. Never a
 * secret or a signature.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { ValidationError } from '../../errors/index.js';
import { error, FORBIDDEN, json, THROTTLED, throttled } from '../../http/openapi-responses.js';
import { SESSION_ID, SESSION_NOT_FOUND, SessionParams } from '../../http/session-params.js';
import { CURSOR_MESSAGE } from '../../http/session-queries.js';
import type { CallerEnv } from '../../runtime/index.js';
import {
  ErrorSchema,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_PAYLOAD_SCHEMAS,
  WebhookDeliveryListSchema,
  WebhookDeliverySchema,
  type WebhookDelivery,
  type WebhookDeliveryList,
  type WebhookEventType,
} from '../../schemas/index.js';
import type { SessionRepo } from '../../sessions/index.js';
import { deliveryView, type Webhooks } from '../../webhooks/index.js';
import { ownerOf, visibleSession } from './owner.js';

const LIMIT_MESSAGE = 'limit must be an integer from 1 to 100.';

/** `GET /sessions/{session_id}/webhooks?invocation_id=&limit=&cursor=`. */
export const SessionWebhooksQuery = z.object({
  invocation_id: z.string().optional().meta({ description: 'Only the deliveries of this invocation.' }),
  limit: z.coerce
    .number({ error: LIMIT_MESSAGE })
    .int(LIMIT_MESSAGE)
    .min(1, LIMIT_MESSAGE)
    .max(100, LIMIT_MESSAGE)
    .default(50)
    .meta({ description: 'Deliveries per page.' }),
  cursor: z.string({ error: CURSOR_MESSAGE }).optional().meta({ description: '`next_cursor` of the previous page.' }),
});

/** The declaration of `GET /sessions/{session_id}/webhooks`. */
export const sessionWebhooksRoute = createRoute({
  method: 'get',
  path: '/sessions/{session_id}/webhooks',
  operationId: 'listSessionWebhooks',
  tags: ['Sessions'],
  summary: "List a session's webhook deliveries",
  description:
    "Every event sent (or being sent) to the webhooks of the session's invocations, newest first: its `webhook-id`, type, URL, state (`pending`, `delivered`, `failed`), attempts, the receiver's last status or the error, and when it is tried next. Delivery is retried on a schedule of about a day (CCA_WEBHOOK_RETRY_SCHEDULE); a 410 answer or an address webhooks may not reach ends it at once.",
  request: { params: SessionParams, query: SessionWebhooksQuery },
  responses: {
    200: json('One page of deliveries.', WebhookDeliveryListSchema, {
      session_id: SESSION_ID,
      deliveries: [
        {
          id: 'msg_2b7GqfXw9TYbC1r4NnS8eA',
          invocation_id: '3f2a9c1e-8d7b-4a6c-b5e4-d3c2b1a09f8e',
          type: 'invocation.completed',
          url: 'https://example.com/hooks/cca',
          state: 'pending',
          attempts: 2,
          max_attempts: 11,
          created_at: '2025-01-01T12:00:00.000Z',
          last_attempt_at: '2025-01-01T12:00:05.412Z',
          last_status: 503,
          last_error: 'answered 503: upstream unavailable',
          next_attempt_at: '2025-01-01T12:00:41.020Z',
          delivered_at: null,
        },
      ],
      next_cursor: null,
    } satisfies WebhookDeliveryList),
    400: error('`limit` or `cursor` is invalid.', { message: LIMIT_MESSAGE, code: 'invalid_request' }),
    403: FORBIDDEN,
    404: SESSION_NOT_FOUND,
    429: THROTTLED,
  },
});

const EXAMPLE_ID = 'msg_2b7GqfXw9TYbC1r4NnS8eA';

/** 429 of the retry: the key's rate or quota, or this delivery's or this key's limit on retries. */
const RETRY_THROTTLED = throttled(
  "Over the key's rate limit or daily quota (the API Gateway bodies), or `webhook_retry_limited`: the delivery was sent again less than a minute ago (one retry a minute per delivery), or the key has as many deliveries pending as it may (1,000).",
  {
    retried: {
      summary: 'Retried less than a minute ago',
      value: {
        message: `Webhook delivery ${EXAMPLE_ID} was retried at 2025-01-02T15:00:00.000Z; a delivery may be retried once a minute. Retry after 2025-01-02T15:01:00.000Z, once its receiver is fixed.`,
        code: 'webhook_retry_limited',
        retry_after_s: 42,
      },
    },
    backlog: {
      summary: 'The key has as many deliveries pending as it may',
      value: {
        message:
          'API key 6f1d2c3b has 1000 webhook deliveries pending, as many as it may; retry this one once some of them are delivered or given up (see their next_attempt_at in GET /sessions/{session_id}/webhooks).',
        code: 'webhook_retry_limited',
        retry_after_s: 60,
      },
    },
  },
);

/** The declaration of `POST /sessions/{session_id}/webhooks/{webhook_id}/retry`. */
export const retryWebhookRoute = createRoute({
  method: 'post',
  path: '/sessions/{session_id}/webhooks/{webhook_id}/retry',
  operationId: 'retryWebhookDelivery',
  tags: ['Sessions'],
  summary: 'Send a webhook delivery again',
  description:
    'Puts a `failed` (or `delivered`) delivery back to `pending` with a fresh retry schedule, due at once: after fixing a receiver, or to replay an event it lost. The body and `webhook-id` stay the same (receivers that dedupe on it see a replay of a delivered one as a duplicate); the URL is the one the invocation subscribed to, checked again when it is sent. A delivery may be retried once a minute, and not while its key has 1,000 deliveries pending (429 with Retry-After).',
  request: {
    params: SessionParams.extend({
      webhook_id: z.string().meta({ description: 'The delivery: its `webhook-id`.', examples: [EXAMPLE_ID] }),
    }),
  },
  responses: {
    202: json('Pending again; its attempts show in `GET /sessions/{session_id}/webhooks`.', WebhookDeliverySchema, {
      id: EXAMPLE_ID,
      invocation_id: '3f2a9c1e-8d7b-4a6c-b5e4-d3c2b1a09f8e',
      type: 'invocation.completed',
      url: 'https://example.com/hooks/cca',
      state: 'pending',
      attempts: 0,
      max_attempts: 11,
      created_at: '2025-01-01T12:00:00.000Z',
      last_attempt_at: '2025-01-02T11:40:02.000Z',
      last_status: 503,
      last_error: 'gave up after 11 attempt(s); the last: answered 503',
      next_attempt_at: '2025-01-02T15:00:00.000Z',
      delivered_at: null,
    } satisfies WebhookDelivery),
    403: FORBIDDEN,
    404: error('No such session, or no such delivery in it.', {
      message: `Session ${SESSION_ID} has no webhook delivery ${EXAMPLE_ID}; list them with GET /sessions/${SESSION_ID}/webhooks.`,
      code: 'not_found',
    }),
    409: error('The delivery is pending already.', {
      message: `Webhook delivery ${EXAMPLE_ID} is pending already: its next attempt is at 2025-01-01T12:00:41.020Z.`,
      code: 'conflict',
    }),
    429: RETRY_THROTTLED,
  },
});

/** What the webhooks routes need. */
export interface SessionWebhooksDeps {
  sessions: SessionRepo;
  webhooks: Pick<Webhooks, 'page' | 'maxAttempts' | 'redeliver'>;
  auth: MiddlewareHandler<CallerEnv>;
}

/** Serves `GET /sessions/{session_id}/webhooks` and the retry of one delivery on `app`. */
export function serveSessionWebhooks(app: OpenAPIHono<CallerEnv>, deps: SessionWebhooksDeps): void {
  const { sessions, webhooks, auth } = deps;
  app.openapi({ ...sessionWebhooksRoute, middleware: [auth] }, (c) => {
    const sessionId = c.req.valid('param').session_id;
    const { invocation_id: invocationId, limit, cursor } = c.req.valid('query');
    visibleSession(sessions, sessionId, ownerOf(c));
    // The cursor is the last delivery's webhook-id: random, so it tells nothing of other sessions.
    const rows = webhooks.page(sessionId, { limit: limit + 1, afterId: cursor, invocationId });
    if (rows === undefined) throw new ValidationError(CURSOR_MESSAGE, { field: 'cursor' });
    const page = rows.slice(0, limit);
    const body: WebhookDeliveryList = {
      session_id: sessionId,
      deliveries: page.map((row) => deliveryView(row, webhooks.maxAttempts)),
      next_cursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
    };
    return c.json(body, 200);
  });

  app.openapi({ ...retryWebhookRoute, middleware: [auth] }, (c) => {
    const { session_id: sessionId, webhook_id: webhookId } = c.req.valid('param');
    visibleSession(sessions, sessionId, ownerOf(c));
    return c.json(deliveryView(webhooks.redeliver(sessionId, webhookId), webhooks.maxAttempts), 202);
  });
}

/** What each webhook event means, for the document. */
const WEBHOOK_DESCRIPTIONS: Record<WebhookEventType, string> = {
  'invocation.completed': 'The invocation succeeded: its result, cost, tokens and the files it stored, with download links.',
  'invocation.failed':
    'The invocation ended without success: an error, a limit (`max_turns`, `max_budget`, memory, processes, disk), a workspace that could not be prepared, or the service stopping during the run (`status: interrupted`). `stop_reason`, `error_code` and `errors` say which.',
  'invocation.cancelled':
    'The invocation was cancelled (`POST /sessions/{session_id}/cancel`); the files written so far are stored and listed.',
  'invocation.timed_out': 'The invocation reached its `timeout_s`; the files written so far are stored and listed.',
  'permission.request':
    'manual mode: a tool use waits for approval. Answer it before `expires_at` with `POST` to `answer.url` (with the API key), or it is denied.',
};

const SIGNATURE_HEADERS = z.object({
  'webhook-id': z
    .string()
    .meta({ description: 'The delivery: the same on every retry; dedupe on it.', examples: ['msg_2b7GqfXw9TYbC1r4NnS8eA'] }),
  'webhook-timestamp': z
    .string()
    .meta({ description: 'Unix seconds of this attempt; refuse one more than 5 minutes from your clock.', examples: ['1735732800'] }),
  'webhook-signature': z.string().meta({
    description:
      '`v1,<base64 of HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>" with the secret>`; during a secret rotation, two of them separated by a space. Verify with any Standard Webhooks library.',
    examples: ['v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4='],
  }),
});

/**
 * Declares what the service POSTs to webhooks, one OpenAPI `webhooks` entry per event type (the
 * document's `webhooks` section); nothing is served.
 */
export function declareWebhookEvents(app: OpenAPIHono<CallerEnv>): void {
  for (const type of WEBHOOK_EVENT_TYPES) {
    app.openAPIRegistry.registerWebhook({
      method: 'post',
      path: type,
      operationId: `webhook.${type}`,
      tags: ['Webhooks'],
      summary: `\`${type}\``,
      description: `${WEBHOOK_DESCRIPTIONS[type]} Sent to the request's \`webhook.url\` (or the API key's default) when it subscribed to \`${type}\`.`,
      request: {
        headers: SIGNATURE_HEADERS,
        body: { required: true, content: { 'application/json': { schema: WEBHOOK_PAYLOAD_SCHEMAS[type] } } },
      },
      responses: {
        200: { description: 'Any 2xx: delivered. Answer within 15 s (CCA_WEBHOOK_TIMEOUT_S); do the work after answering.' },
        410: { description: 'Gone: the service stops trying this delivery.' },
        500: { description: 'Anything else (or no answer): tried again on the retry schedule, with the same webhook-id.' },
      },
    });
  }
}
