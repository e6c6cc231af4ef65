/**
 * The operations of the OpenAPI document: routes, parameters, bodies and every status a client
 * must handle. Public routes carry `security: []`; the rest inherit the document's API key.
 */
import { EXAMPLE_HEALTH, EXAMPLE_PING, EXAMPLE_REQUEST, EXAMPLE_SESSION_DETAIL, EXAMPLE_SESSION_LIST } from './examples.js';
import type { PathItem } from './openapi-types.js';
import { error, FORBIDDEN, invocationResponses, json, ref, THROTTLED } from './responses.js';

const PUBLIC: Record<string, string[]>[] = [];

/** Every route of the gateway and the runtime. */
export function buildPaths(limits: { maxBodyBytes: number }): Record<string, PathItem> {
  const invocation = invocationResponses(limits.maxBodyBytes);
  return {
    '/invoke': {
      post: {
        operationId: 'invoke',
        tags: ['Agent'],
        summary: 'Run a coding task',
        description:
          'Runs Claude Code on the prompt in the workspace of the session (a new one unless `session_id` names one of the key), stores every file it created or changed, and answers when the run ends.',
        requestBody: { required: true, content: { 'application/json': { schema: ref('InvocationRequest'), example: EXAMPLE_REQUEST } } },
        responses: {
          ...invocation,
          '403': FORBIDDEN,
          '404': error('`session_id` names a session this key cannot see.', {
            message: 'No session 7c1e2f4a-5b6d-4e8f-9a0b-1c2d3e4f5a6b for this API key.',
            code: 'not_found',
          }),
          '429': THROTTLED,
        },
      },
    },
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
        parameters: [{ name: 'session_id', in: 'path', required: true, description: 'The session id.', schema: { type: 'string' } }],
        responses: {
          '200': json('The session, with each invocation and its files.', 'SessionDetail', EXAMPLE_SESSION_DETAIL),
          '403': FORBIDDEN,
          '404': error('No such session, or it belongs to another key.', {
            message: 'No session 7c1e2f4a-5b6d-4e8f-9a0b-1c2d3e4f5a6b for this API key.',
            code: 'not_found',
          }),
          '429': THROTTLED,
        },
      },
    },
    '/health': {
      get: {
        operationId: 'health',
        tags: ['Service'],
        summary: 'Gateway liveness',
        security: PUBLIC,
        responses: { '200': json('The gateway is up.', 'Health', EXAMPLE_HEALTH) },
      },
    },
    '/invocations': {
      post: {
        operationId: 'invocations',
        tags: ['Runtime'],
        summary: 'Run a coding task (AgentCore Runtime contract)',
        description:
          'What AgentCore calls in the container. Under `cca runtime` (the container entrypoint) it takes no API key: AgentCore authenticates the caller. Under `cca serve` it needs an API key like `/invoke`, with the same limits and tenancy. The body is flat or wrapped in `input`.',
        parameters: [
          {
            name: 'X-Amzn-Bedrock-AgentCore-Runtime-Session-Id',
            in: 'header',
            required: false,
            description: 'The session to run in; omitted: a new session.',
            schema: { type: 'string' },
          },
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
        responses: invocation,
      },
    },
    '/ping': {
      get: {
        operationId: 'ping',
        tags: ['Runtime'],
        summary: 'Runtime health (AgentCore contract)',
        description: '`HealthyBusy` while a run is in progress, so AgentCore keeps the session alive.',
        security: PUBLIC,
        responses: { '200': json('The runtime is up.', 'Ping', EXAMPLE_PING) },
      },
    },
    '/files/{key}': {
      get: {
        operationId: 'downloadFile',
        tags: ['Service'],
        summary: 'Download a stored file (signed link)',
        description: 'The `download_url` of an uploaded file: signed, expiring, no API key. `key` is the storage key, slashes included.',
        security: PUBLIC,
        parameters: [
          {
            name: 'key',
            in: 'path',
            required: true,
            description: 'Storage key, e.g. outputs/20250101_120000_3f2a9c1e/app/main.py.',
            schema: { type: 'string' },
          },
          { name: 'expires', in: 'query', required: true, description: 'Unix seconds when the link expires.', schema: { type: 'integer' } },
          { name: 'signature', in: 'query', required: true, description: 'Signature of key and expiry.', schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description: 'The file, as an attachment.',
            content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } },
          },
          '403': error('The link is invalid or has expired.', {
            message: 'This download link is invalid or has expired. Request a new link through the session that produced the file.',
            code: 'forbidden',
          }),
          '404': error('No stored file at this link.', { message: 'No stored file at this link.', code: 'not_found' }),
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openapi',
        tags: ['Service'],
        summary: 'This OpenAPI 3.1 document',
        security: PUBLIC,
        responses: { '200': { description: 'The document.', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    '/docs': {
      get: {
        operationId: 'docs',
        tags: ['Service'],
        summary: 'This documentation as a web page',
        security: PUBLIC,
        responses: { '200': { description: 'A self-contained HTML page.', content: { 'text/html': { schema: { type: 'string' } } } } },
      },
    },
  };
}
