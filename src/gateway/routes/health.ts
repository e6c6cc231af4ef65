/** `GET /health`: liveness of the gateway and how many runs are in progress or waiting. */
import { createRoute } from '@hono/zod-openapi';
import { EXAMPLE_HEALTH } from '../../http/index.js';
import { json } from '../../http/openapi-responses.js';
import { HealthSchema } from '../../schemas/index.js';

/** The declaration of `GET /health`. */
export const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  operationId: 'health',
  tags: ['Service'],
  summary: 'Gateway liveness',
  security: [],
  responses: { 200: json('The gateway is up.', HealthSchema, EXAMPLE_HEALTH) },
});
