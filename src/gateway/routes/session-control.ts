/**
 * Following and steering a session's run: its events over SSE (replay, then live), cancel, and
 * the answers to permission requests of manual mode.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { Config } from '../../config/index.js';
import { ValidationError } from '../../errors/index.js';
import type { SessionEvents } from '../../events/index.js';
import {
  EXAMPLE_APPROVAL_STREAM,
  EXAMPLE_CANCEL_ACCEPTED,
  EXAMPLE_EVENT_STREAM,
  EXAMPLE_PERMISSION_ANSWER,
  EXAMPLE_PERMISSION_ANSWERED,
  serveDeclared,
} from '../../http/index.js';
import { error, eventStream, FORBIDDEN, json, SSE_FORMAT, THROTTLED } from '../../http/openapi-responses.js';
import { invocationBodyLimit, sseResponse, type CallerEnv, type InvocationService } from '../../runtime/index.js';
import type { SessionRepo } from '../../sessions/index.js';
import { CancelAcceptedSchema, PermissionAnsweredSchema, PermissionAnswerSchema, type CancelAccepted } from '../../schemas/index.js';
import { ownerOf, visibleSession } from './owner.js';
import { EVENT_ID_MESSAGE, EventId, parseEventId, SESSION_ID, SESSION_NOT_FOUND, SessionParams } from '../../http/session-params.js';
import { PERMISSION_BODY_MESSAGE } from '../../http/session-queries.js';

/** The declaration of `GET /sessions/{session_id}/events`. */
export const sessionEventsRoute = createRoute({
  method: 'get',
  path: '/sessions/{session_id}/events',
  operationId: 'streamSessionEvents',
  tags: ['Sessions'],
  summary: "Follow a session's events (SSE)",
  description:
    "Replays the session's recorded events after the given id (all of them by default), then sends new ones as they happen. The stream ends once it has sent everything and no invocation is queued or running: at once for an idle session, else after the last `invocation.completed`.",
  request: {
    params: SessionParams,
    headers: z.object({
      'Last-Event-ID': EventId.optional().meta({
        description: 'Resume after this event id (what an EventSource sends when it reconnects); wins over `after`.',
      }),
    }),
    query: z.object({
      after: EventId.default(0).meta({ description: 'Resume after this event id; 0 (the default) replays everything.' }),
    }),
  },
  responses: {
    200: {
      description: `The events, in id order. ${SSE_FORMAT}`,
      content: {
        'text/event-stream': eventStream({
          run: { summary: 'An invocation from start to end', value: EXAMPLE_EVENT_STREAM },
          approval: { summary: 'manual mode: a permission request and its answer', value: EXAMPLE_APPROVAL_STREAM },
        }),
      },
    },
    400: error('`Last-Event-ID` or `after` is not a non-negative integer.', {
      message: EVENT_ID_MESSAGE,
      code: 'invalid_request',
      field: 'after',
    }),
    403: FORBIDDEN,
    404: SESSION_NOT_FOUND,
    429: THROTTLED,
  },
});

/** The declaration of `POST /sessions/{session_id}/cancel`. */
export const cancelSessionRoute = createRoute({
  method: 'post',
  path: '/sessions/{session_id}/cancel',
  operationId: 'cancelSession',
  tags: ['Sessions'],
  summary: "Cancel a session's run",
  description:
    'Stops the invocation queued or running in the session. The files it wrote so far are stored, and it ends `cancelled` with its `invocation.completed` event; a pending permission request is denied.',
  request: { params: SessionParams },
  responses: {
    202: json(
      'Stopping; follow the end on the event stream or at `GET /sessions/{session_id}`.',
      CancelAcceptedSchema,
      EXAMPLE_CANCEL_ACCEPTED,
    ),
    403: FORBIDDEN,
    404: error('No such session, or it belongs to another key.', {
      message: `Session ${SESSION_ID} was not found; omit session_id to start a new session.`,
      code: 'not_found',
    }),
    409: error('Nothing is queued or running in the session.', {
      message: `Nothing is running in session ${SESSION_ID}.`,
      code: 'conflict',
    }),
    429: THROTTLED,
  },
});

/** The declaration of `POST /sessions/{session_id}/permissions/{request_id}`; the body limit appears in its 413. */
export function answerPermissionRoute(maxBodyBytes: number) {
  return createRoute({
    method: 'post',
    path: '/sessions/{session_id}/permissions/{request_id}',
    operationId: 'answerPermission',
    tags: ['Sessions'],
    summary: 'Answer a permission request (manual mode)',
    description:
      'Allows or denies the tool use of a `permission.request` event, before its `expires_at` (the approval timeout, `approval_timeout_s`): unanswered, it is denied. The answer is recorded as a `permission.decision` event.',
    request: {
      params: SessionParams.extend({
        request_id: z.string().meta({ description: '`request_id` of the `permission.request` event.' }),
      }),
      body: { required: true, content: { 'application/json': { schema: PermissionAnswerSchema, example: EXAMPLE_PERMISSION_ANSWER } } },
    },
    responses: {
      200: json('Answered; the run goes on with the decision.', PermissionAnsweredSchema, EXAMPLE_PERMISSION_ANSWERED),
      400: error('The body is not `{"decision": "allow" | "deny", "message"?: string}` (message at most 2,000 characters).', {
        message: PERMISSION_BODY_MESSAGE,
        code: 'invalid_request',
        field: 'decision',
      }),
      403: FORBIDDEN,
      404: error('No such session for this key, or no request with this id in the invocation now running (a finished run has none).', {
        message: `No pending permission request b5d0c3e2-7a41-4f9e-8c6d-2e1f0a9b8c7d in session ${SESSION_ID}.`,
        code: 'not_found',
      }),
      409: error('The request was already answered, through the API or by the approval timeout.', {
        message: 'Permission request b5d0c3e2-7a41-4f9e-8c6d-2e1f0a9b8c7d was already answered.',
        code: 'conflict',
      }),
      413: error(`The body is larger than ${maxBodyBytes} bytes.`, {
        message: `The body is larger than ${maxBodyBytes} bytes; send a shorter prompt.`,
        code: 'payload_too_large',
        limit: maxBodyBytes,
      }),
      429: THROTTLED,
    },
  });
}

/** What steering a session needs. */
export interface SessionControlDeps {
  config: Config;
  service: InvocationService;
  events: SessionEvents;
  sessions: SessionRepo;
  auth: MiddlewareHandler<CallerEnv>;
}

/** Serves events, cancel and permission answers on `app`. */
export function serveSessionControl(app: OpenAPIHono<CallerEnv>, deps: SessionControlDeps): void {
  const { service, events, sessions, auth, config } = deps;
  // Served over its declaration, parsed here in the order it always was: the session first (404),
  // then the event id from Last-Event-ID, which wins over `after` (only the one used is checked).
  serveDeclared(app, sessionEventsRoute, '/sessions/:session_id/events', auth, async (c) => {
    const id = c.req.param('session_id') ?? '';
    visibleSession(sessions, id, ownerOf(c));
    const afterId = parseEventId(c.req.header('last-event-id') ?? c.req.query('after'));
    const stream = events.stream(id, { afterId, isActive: () => service.isActive(id), signal: c.req.raw.signal });
    return sseResponse(c, stream);
  });

  app.openapi({ ...cancelSessionRoute, middleware: [auth] }, (c) => {
    const id = c.req.valid('param').session_id;
    const { invocationId } = service.cancel(id, ownerOf(c));
    return c.json({ session_id: id, invocation_id: invocationId, status: 'cancelling' } satisfies CancelAccepted, 202);
  });

  // Read whatever the Content-Type, as before the routes were declared (the library would answer
  // 415 to a body sent without `Content-Type: application/json`).
  serveDeclared(
    app,
    answerPermissionRoute(config.limits.maxBodyBytes),
    '/sessions/:session_id/permissions/:request_id',
    auth,
    invocationBodyLimit(config),
    async (c) => {
      const id = c.req.param('session_id') ?? '';
      const requestId = c.req.param('request_id') ?? '';
      const parsed = PermissionAnswerSchema.safeParse(await c.req.json().catch(() => undefined));
      if (!parsed.success) throw new ValidationError(PERMISSION_BODY_MESSAGE, { field: 'decision' });
      service.answerPermission(id, ownerOf(c), requestId, parsed.data.decision, parsed.data.message);
      return c.json({ request_id: requestId, decision: parsed.data.decision });
    },
  );
}
