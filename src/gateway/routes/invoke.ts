/**
 * `POST /invoke`, the original sample's route: run a task in a session of the calling key. The
 * handler is the one `/invocations` uses; this declares what the public API documents.
 */
import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { EXAMPLE_REQUEST, InvocationRequest } from '../../http/index.js';
import {
  error,
  FORBIDDEN,
  invocationResponses,
  PREFER_HEADER,
  RUN_ANSWERS,
  BUDGET_EXCEEDED,
  RUN_THROTTLED,
  STORAGE_QUOTA_FULL,
} from '../../http/openapi-responses.js';
import { SESSION_ID } from '../../http/session-params.js';

/** The declaration of `POST /invoke`; the body limit appears in its 413. */
export function invokeRoute(maxBodyBytes: number) {
  return createRoute({
    method: 'post',
    path: '/invoke',
    operationId: 'invoke',
    tags: ['Agent'],
    summary: 'Run a coding task',
    description: `Runs Claude Code on the prompt in the workspace of the session (a new one unless \`session_id\` names one of the key) and stores every file it created or changed. ${RUN_ANSWERS}`,
    request: {
      headers: z.object({ Prefer: PREFER_HEADER }),
      body: { required: true, content: { 'application/json': { schema: InvocationRequest, example: EXAMPLE_REQUEST } } },
    },
    responses: {
      ...invocationResponses(maxBodyBytes),
      403: FORBIDDEN,
      404: error('`session_id` names a session this key cannot see.', {
        message: `Session ${SESSION_ID} was not found; omit session_id to start a new session.`,
        code: 'not_found',
      }),
      402: BUDGET_EXCEEDED,
      429: RUN_THROTTLED,
      507: STORAGE_QUOTA_FULL,
    },
  });
}
