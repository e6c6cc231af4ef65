/**
 * `POST /invocations`, the AgentCore Runtime contract: what AgentCore calls in the container. The
 * declaration documents it; the handler is the one `/invoke` uses too.
 */
import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { AgentCoreInvocationRequest, ControlRequestSchema, EXAMPLE_REQUEST, SESSION_HEADER } from '../../http/index.js';
import {
  errors,
  INVALID_REQUEST,
  invocationResponses,
  PREFER_HEADER,
  RUN_ANSWERS,
  BUDGET_EXCEEDED,
  RUN_THROTTLED,
  STORAGE_QUOTA_FULL,
} from '../../http/openapi-responses.js';

/** The declaration of `POST /invocations`; the body limit appears in its 413. */
export function invocationsRoute(maxBodyBytes: number) {
  const responses = invocationResponses(maxBodyBytes);
  return createRoute({
    method: 'post',
    path: '/invocations',
    operationId: 'invocations',
    tags: ['Runtime'],
    summary: 'Run a coding task (AgentCore Runtime contract)',
    description: `What AgentCore calls in the container. Under \`cca runtime\` (the container entrypoint) it takes no API key: AgentCore authenticates the caller. Under \`cca serve\` it needs an API key like \`/invoke\`, with the same limits and tenancy. The body is flat or wrapped in \`input\`. ${RUN_ANSWERS} The 202 is only under \`cca serve\`: the bare runtime has no sessions routes to follow the run with, so it refuses \`async\` with 400 (unless its storage is S3, where the API Lambda reads the session's state). A body \`{"control": ...}\` steers the session of the session header instead of running a task (AgentCore forwards only this route, so the API Lambda cancels and answers permission requests through it): \`cancel\` answers 202 with CancelAccepted, 404 for a session this runtime does not know and 409 when nothing runs; \`permission\` answers 200 with PermissionAnswered, 404 for an unknown request and 409 for one already answered.`,
    request: {
      headers: z.object({
        [SESSION_HEADER]: z.string().optional().meta({ description: 'The session to run in; omitted: a new session.' }),
        Prefer: PREFER_HEADER,
      }),
      body: {
        required: true,
        content: {
          'application/json': {
            schema: z.union([AgentCoreInvocationRequest, ControlRequestSchema]),
            examples: {
              flat: { summary: 'Flat', value: EXAMPLE_REQUEST },
              wrapped: { summary: 'Wrapped in input', value: { input: EXAMPLE_REQUEST } },
              cancel: { summary: "Control: cancel the session's run", value: { control: { action: 'cancel' } } },
              permission: {
                summary: 'Control: answer a permission request',
                value: { control: { action: 'permission', request_id: 'b5d0c3e2-7a41-4f9e-8c6d-2e1f0a9b8c7d', decision: 'allow' } },
              },
            },
          },
        },
      },
    },
    responses: {
      ...responses,
      202: { ...responses['202']!, description: `Under \`cca serve\` only. ${responses['202']!.description}` },
      400: errors('The body is not a valid request, or it asks for `async` on the bare runtime (`cca runtime`).', {
        invalid: { summary: 'Invalid body: the message names every problem and how to fix it', value: INVALID_REQUEST },
        async: {
          summary: '`async` or `Prefer: respond-async` on the bare runtime',
          value: {
            message:
              'async needs the sessions API of `cca serve` to fetch the result; call without async, or stream with Accept: text/event-stream.',
            code: 'invalid_request',
            field: 'async',
          },
        },
      }),
      402: { ...BUDGET_EXCEEDED, description: `Under \`cca serve\` only. ${BUDGET_EXCEEDED.description}` },
      429: { ...RUN_THROTTLED, description: `Under \`cca serve\` only. ${RUN_THROTTLED.description}` },
      507: { ...STORAGE_QUOTA_FULL, description: `Under \`cca serve\` only. ${STORAGE_QUOTA_FULL.description}` },
    },
  });
}
