/**
 * `GET /sessions/{session_id}/webhooks`: the webhook deliveries of a session's invocations, newest
 * first, with their state and attempts, so a caller can see why an event did not arrive. Never a
 * secret or a signature.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { ValidationError } from '../../errors/index.js';
import { error, FORBIDDEN, json, THROTTLED } from '../../http/openapi-responses.js';
import { SESSION_ID, SESSION_NOT_FOUND, SessionParams } from '../../http/session-params.js';
import { CURSOR_MESSAGE } from '../../http/session-queries.js';
import type { CallerEnv } from '../../runtime/index.js';
import { WebhookDeliveryListSchema, type WebhookDeliveryList } from '../../schemas/index.js';
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

/** What the webhooks route needs. */
export interface SessionWebhooksDeps {
  sessions: SessionRepo;
  webhooks: Pick<Webhooks, 'page' | 'maxAttempts'>;
  auth: MiddlewareHandler<CallerEnv>;
}

/** Serves `GET /sessions/{session_id}/webhooks` on `app`. */
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
}
