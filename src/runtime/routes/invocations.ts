/**
 * `POST /invocations`, the AgentCore Runtime contract: what AgentCore calls in the container. The
 * declaration documents it; the handler is the one `/invoke` uses too.
 */
import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { AgentCoreInvocationRequest, EXAMPLE_REQUEST, SESSION_HEADER } from '../../http/index.js';
import {
  errors,
  INVALID_REQUEST,
  invocationResponses,
  PREFER_HEADER,
  RUN_ANSWERS,
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
    description: `What AgentCore calls in the container. Under \`cca runtime\` (the container entrypoint) it takes no API key: AgentCore authenticates the caller. Under \`cca serve\` it needs an API key like \`/invoke\`, with the same limits and tenancy. The body is flat or wrapped in \`input\`. ${RUN_ANSWERS} The 202 is only under \`cca serve\`: the bare runtime has no sessions routes to follow the run with, so it refuses \`async\` with 400.`,
    request: {
      headers: z.object({
        [SESSION_HEADER]: z.string().optional().meta({ description: 'The session to run in; omitted: a new session.' }),
        Prefer: PREFER_HEADER,
      }),
      body: {
        required: true,
        content: {
          'application/json': {
            schema: AgentCoreInvocationRequest,
            examples: {
              flat: { summary: 'Flat', value: EXAMPLE_REQUEST },
              wrapped: { summary: 'Wrapped in input', value: { input: EXAMPLE_REQUEST } },
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
      429: { ...RUN_THROTTLED, description: `Under \`cca serve\` only. ${RUN_THROTTLED.description}` },
      507: { ...STORAGE_QUOTA_FULL, description: `Under \`cca serve\` only. ${STORAGE_QUOTA_FULL.description}` },
    },
  });
}
