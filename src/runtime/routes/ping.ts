/** `GET /ping`, the AgentCore Runtime health contract. */
import { createRoute } from '@hono/zod-openapi';
import { EXAMPLE_PING } from '../../http/index.js';
import { json } from '../../http/openapi-responses.js';
import { PingSchema } from '../../schemas/index.js';

/** The declaration of `GET /ping`. */
export const pingRoute = createRoute({
  method: 'get',
  path: '/ping',
  operationId: 'ping',
  tags: ['Runtime'],
  summary: 'Runtime health (AgentCore contract)',
  description: '`HealthyBusy` while a run is in progress, so AgentCore keeps the session alive.',
  security: [],
  responses: { 200: json('The runtime is up.', PingSchema, EXAMPLE_PING) },
});
