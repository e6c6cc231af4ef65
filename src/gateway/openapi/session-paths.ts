/**
 * The routes of the caller's sessions: list and show them, follow their events, cancel a run and
 * answer its permission requests. All need the API key, and a key sees only its own sessions.
 */
import {
  EXAMPLE_APPROVAL_STREAM,
  EXAMPLE_CANCEL_ACCEPTED,
  EXAMPLE_EVENT_STREAM,
  EXAMPLE_PERMISSION_ANSWER,
  EXAMPLE_PERMISSION_ANSWERED,
  EXAMPLE_SESSION_DETAIL,
  EXAMPLE_SESSION_LIST,
} from './examples.js';
import type { Parameter, PathItem } from './openapi-types.js';
import { error, eventStream, FORBIDDEN, json, ref, SSE_FORMAT, THROTTLED } from './responses.js';

const SESSION_ID = '7c1e2f4a-5b6d-4e8f-9a0b-1c2d3e4f5a6b';
const SESSION: Parameter = { name: 'session_id', in: 'path', required: true, description: 'The session id.', schema: { type: 'string' } };
const NOT_FOUND = error('No such session, or it belongs to another key.', {
  message: `Session ${SESSION_ID} was not found.`,
  code: 'not_found',
});

/** `/sessions` and everything under it. */
export function sessionPaths(limits: { maxBodyBytes: number }): Record<string, PathItem> {
  return {
    '/sessions': {
      get: {
        operationId: 'listSessions',
        tags: ['Sessions'],
        summary: "List the key's sessions",
        description: 'Newest first, one page at a time.',
        parameters: [
          {
            name: 'limit',
            in: 'query',
            required: false,
            description: 'Sessions per page.',
            schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
          },
          { name: 'cursor', in: 'query', required: false, description: '`next_cursor` of the previous page.', schema: { type: 'string' } },
        ],
        responses: {
          '200': json('One page of sessions.', 'SessionList', EXAMPLE_SESSION_LIST),
          '400': error('`limit` or `cursor` is invalid.', { message: 'limit must be an integer from 1 to 100.', code: 'invalid_request' }),
          '403': FORBIDDEN,
          '429': THROTTLED,
        },
      },
    },
    '/sessions/{session_id}': {
      get: {
        operationId: 'getSession',
        tags: ['Sessions'],
        summary: 'Show a session and its invocations',
        parameters: [SESSION],
        responses: {
          '200': json('The session, with each invocation and its files.', 'SessionDetail', EXAMPLE_SESSION_DETAIL),
          '403': FORBIDDEN,
          '404': NOT_FOUND,
          '429': THROTTLED,
        },
      },
    },
    '/sessions/{session_id}/events': {
      get: {
        operationId: 'streamSessionEvents',
        tags: ['Sessions'],
        summary: "Follow a session's events (SSE)",
        description:
          "Replays the session's recorded events after the given id (all of them by default), then sends new ones as they happen. The stream ends once it has sent everything and no invocation is queued or running: at once for an idle session, else after the last `invocation.completed`.",
        parameters: [
          SESSION,
          {
            name: 'Last-Event-ID',
            in: 'header',
            required: false,
            description: 'Resume after this event id (what an EventSource sends when it reconnects); wins over `after`.',
            schema: { type: 'integer', minimum: 0 },
          },
          {
            name: 'after',
            in: 'query',
            required: false,
            description: 'Resume after this event id; 0 (the default) replays everything.',
            schema: { type: 'integer', minimum: 0, default: 0 },
          },
        ],
        responses: {
          '200': {
            description: `The events, in id order. ${SSE_FORMAT}`,
            content: {
              'text/event-stream': eventStream({
                run: { summary: 'An invocation from start to end', value: EXAMPLE_EVENT_STREAM },
                approval: { summary: 'manual mode: a permission request and its answer', value: EXAMPLE_APPROVAL_STREAM },
              }),
            },
          },
          '400': error('`Last-Event-ID` or `after` is not a non-negative integer.', {
            message: 'Last-Event-ID / after must be the id of an event (a non-negative integer).',
            code: 'invalid_request',
            field: 'after',
          }),
          '403': FORBIDDEN,
          '404': NOT_FOUND,
          '429': THROTTLED,
        },
      },
    },
    '/sessions/{session_id}/cancel': {
      post: {
        operationId: 'cancelSession',
        tags: ['Sessions'],
        summary: "Cancel a session's run",
        description:
          'Stops the invocation queued or running in the session. The files it wrote so far are stored, and it ends `cancelled` with its `invocation.completed` event; a pending permission request is denied.',
        parameters: [SESSION],
        responses: {
          '202': json(
            'Stopping; follow the end on the event stream or at `GET /sessions/{session_id}`.',
            'CancelAccepted',
            EXAMPLE_CANCEL_ACCEPTED,
          ),
          '403': FORBIDDEN,
          '404': error('No such session, or it belongs to another key.', {
            message: `Session ${SESSION_ID} was not found; omit session_id to start a new session.`,
            code: 'not_found',
          }),
          '409': error('Nothing is queued or running in the session.', {
            message: `Nothing is running in session ${SESSION_ID}.`,
            code: 'conflict',
          }),
          '429': THROTTLED,
        },
      },
    },
    '/sessions/{session_id}/permissions/{request_id}': {
      post: {
        operationId: 'answerPermission',
        tags: ['Sessions'],
        summary: 'Answer a permission request (manual mode)',
        description:
          'Allows or denies the tool use of a `permission.request` event, before its `expires_at` (the approval timeout, `approval_timeout_s`): unanswered, it is denied. The answer is recorded as a `permission.decision` event.',
        parameters: [
          SESSION,
          {
            name: 'request_id',
            in: 'path',
            required: true,
            description: '`request_id` of the `permission.request` event.',
            schema: { type: 'string' },
          },
        ],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: ref('PermissionAnswer'), example: EXAMPLE_PERMISSION_ANSWER } },
        },
        responses: {
          '200': json('Answered; the run goes on with the decision.', 'PermissionAnswered', EXAMPLE_PERMISSION_ANSWERED),
          '400': error('The body is not `{"decision": "allow" | "deny", "message"?: string}` (message at most 2,000 characters).', {
            message: 'The body must be {"decision": "allow" | "deny", "message"?: string}.',
            code: 'invalid_request',
            field: 'decision',
          }),
          '403': FORBIDDEN,
          '404': error(
            'No such session for this key, or no request with this id in the invocation now running (a finished run has none).',
            {
              message: `No pending permission request b5d0c3e2-7a41-4f9e-8c6d-2e1f0a9b8c7d in session ${SESSION_ID}.`,
              code: 'not_found',
            },
          ),
          '409': error('The request was already answered, through the API or by the approval timeout.', {
            message: 'Permission request b5d0c3e2-7a41-4f9e-8c6d-2e1f0a9b8c7d was already answered.',
            code: 'conflict',
          }),
          '413': error(`The body is larger than ${limits.maxBodyBytes} bytes.`, {
            message: `The body is larger than ${limits.maxBodyBytes} bytes; send a shorter prompt.`,
            code: 'payload_too_large',
            limit: limits.maxBodyBytes,
          }),
          '429': THROTTLED,
        },
      },
    },
  };
}
