/**
 * The operations of the OpenAPI document: routes, parameters, bodies and every status a client
 * must handle. Public routes carry `security: []`; the rest inherit the document's API key.
 */
import { EXAMPLE_HEALTH, EXAMPLE_PING } from './examples.js';
import { invocationPaths } from './invocation-paths.js';
import type { PathItem } from './openapi-types.js';
import { error, json } from './responses.js';
import { sessionPaths } from './session-paths.js';

const PUBLIC: Record<string, string[]>[] = [];

/** Every route of the gateway and the runtime, in the order the docs page lists them. */
export function buildPaths(limits: { maxBodyBytes: number }): Record<string, PathItem> {
  const { invoke, invocations } = invocationPaths(limits);
  return {
    '/invoke': invoke,
    ...sessionPaths(limits),
    '/health': {
      get: {
        operationId: 'health',
        tags: ['Service'],
        summary: 'Gateway liveness',
        security: PUBLIC,
        responses: { '200': json('The gateway is up.', 'Health', EXAMPLE_HEALTH) },
      },
    },
    '/invocations': invocations,
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
