/**
 * The two routes that run a task, `POST /invoke` (public API) and `POST /invocations` (AgentCore
 * contract): one handler, three answers chosen by the request (JSON, an event stream, or 202).
 */
import { EXAMPLE_REQUEST } from './examples.js';
import type { Parameter, PathItem } from './openapi-types.js';
import { error, errors, FORBIDDEN, INVALID_REQUEST, invocationResponses, ref, THROTTLED } from './responses.js';

const PREFER: Parameter = {
  name: 'Prefer',
  in: 'header',
  required: false,
  description: '`respond-async`: answer 202 at once and run in the background, as `"async": true` in the body does.',
  schema: { type: 'string', examples: ['respond-async'] },
};

const ANSWERS =
  'Three answers to the same run: by default 200 `application/json` with the output once the run ends; with `Accept: text/event-stream`, 200 with the events of the run as they happen, the last one `invocation.completed` with the same output; with `"async": true` or `Prefer: respond-async`, 202 at once with where to follow it (`async` wins over `Accept`). A request refused before the run starts (400, 404, 409, 413, 503) gets JSON whatever it asked for.';

/** `POST /invoke` and `POST /invocations`. */
export function invocationPaths(limits: { maxBodyBytes: number }): { invoke: PathItem; invocations: PathItem } {
  const responses = invocationResponses(limits.maxBodyBytes);
  return {
    invoke: {
      post: {
        operationId: 'invoke',
        tags: ['Agent'],
        summary: 'Run a coding task',
        description: `Runs Claude Code on the prompt in the workspace of the session (a new one unless \`session_id\` names one of the key) and stores every file it created or changed. ${ANSWERS}`,
        parameters: [PREFER],
        requestBody: { required: true, content: { 'application/json': { schema: ref('InvocationRequest'), example: EXAMPLE_REQUEST } } },
        responses: {
          ...responses,
          '403': FORBIDDEN,
          '404': error('`session_id` names a session this key cannot see.', {
            message: 'Session 7c1e2f4a-5b6d-4e8f-9a0b-1c2d3e4f5a6b was not found; omit session_id to start a new session.',
            code: 'not_found',
          }),
          '429': THROTTLED,
        },
      },
    },
    invocations: {
      post: {
        operationId: 'invocations',
        tags: ['Runtime'],
        summary: 'Run a coding task (AgentCore Runtime contract)',
        description: `What AgentCore calls in the container. Under \`cca runtime\` (the container entrypoint) it takes no API key: AgentCore authenticates the caller. Under \`cca serve\` it needs an API key like \`/invoke\`, with the same limits and tenancy. The body is flat or wrapped in \`input\`. ${ANSWERS} The 202 is only under \`cca serve\`: the bare runtime has no sessions routes to follow the run with, so it refuses \`async\` with 400.`,
        parameters: [
          {
            name: 'X-Amzn-Bedrock-AgentCore-Runtime-Session-Id',
            in: 'header',
            required: false,
            description: 'The session to run in; omitted: a new session.',
            schema: { type: 'string' },
          },
          PREFER,
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: ref('AgentCoreInvocationRequest'),
              examples: {
                flat: { summary: 'Flat', value: EXAMPLE_REQUEST },
                wrapped: { summary: 'Wrapped in input', value: { input: EXAMPLE_REQUEST } },
              },
            },
          },
        },
        responses: {
          ...responses,
          '202': { ...responses['202']!, description: `Under \`cca serve\` only. ${responses['202']!.description}` },
          '400': errors('The body is not a valid request, or it asks for `async` on the bare runtime (`cca runtime`).', {
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
        },
      },
    },
  };
}
