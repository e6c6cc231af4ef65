/**
 * `GET /metrics`: the Prometheus text of the service. On the main port it is a declared route (in
 * the OpenAPI document) behind the operator's token; on `--metrics-port` it is the whole of a small
 * app of its own, outside the API, behind the token only when one is set.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { Hono, type Env, type Handler, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { toErrorResponse } from '../errors/index.js';
import { serveDeclared } from '../http/index.js';
import { error } from '../http/openapi-responses.js';
import { metricsTokenGuard } from './metrics-token.js';
import type { ServiceMetrics } from './service-metrics.js';

/** The security scheme of `/metrics` in the OpenAPI document. */
export const METRICS_SECURITY_SCHEME = {
  type: 'http' as const,
  scheme: 'bearer',
  description: "The operator's metrics token (CCA_METRICS_TOKEN) as `Authorization: Bearer <token>`; API keys do not open /metrics.",
};

/** The declaration of `GET /metrics` on the main port. */
export const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'metrics',
  tags: ['Service'],
  summary: 'Prometheus metrics (operator token)',
  description:
    'The Prometheus text format (0.0.4): invocations by status and stop reason, run durations, run slots and queue, tokens and cost by API key id, stored files, HTTP requests by route, process figures. ' +
    "Served here only when the operator set a metrics token (`--metrics-token` / CCA_METRICS_TOKEN); it shows every tenant's figures, so API keys cannot read it.",
  security: [{ metricsToken: [] }],
  responses: {
    200: {
      description: 'The series, one sample a line.',
      content: { 'text/plain': { schema: z.string(), example: 'cca_invocations_total{status="succeeded",stop_reason="completed"} 12\n' } },
    },
    401: error('No token was sent.', {
      message:
        "/metrics needs the operator's metrics token (CCA_METRICS_TOKEN) as `Authorization: Bearer <token>`; API keys do not open it.",
      code: 'unauthorized',
    }),
    403: error('The token sent is not the metrics token (an API key, say).', {
      message:
        "The token is not the metrics token: send the operator's CCA_METRICS_TOKEN as `Authorization: Bearer <token>` (API keys do not open /metrics).",
      code: 'forbidden',
    }),
  },
});

/**
 * Serves `GET /metrics` on the service's app, behind the token.
 * @example if (config.metrics.token) serveMetrics(app, metrics, config.metrics.token);
 */
export function serveMetrics<E extends Env>(app: OpenAPIHono<E>, metrics: ServiceMetrics, token: string): void {
  serveDeclared(app, metricsRoute, '/metrics', metricsTokenGuard(token) as MiddlewareHandler<E>, scrapeHandler(metrics));
}

/**
 * The app of `--metrics-port`: `GET /metrics` and nothing else, behind the token when there is one.
 * @example createAdaptorServer({ fetch: metricsApp(metrics, config.metrics.token).fetch })
 */
export function metricsApp(metrics: ServiceMetrics, token: string | undefined): Hono {
  const app = new Hono();
  const guard: MiddlewareHandler = token === undefined ? async (_c, next) => next() : metricsTokenGuard(token);
  app.get('/metrics', guard, scrapeHandler(metrics));
  app.notFound((c) =>
    c.json({ message: `This port serves only GET /metrics (got ${c.req.method} ${c.req.path}).`, code: 'not_found' }, 404),
  );
  app.onError((err, c) => {
    const { status, body, headers } = toErrorResponse(err);
    return c.json(body, status as 400, headers);
  });
  return app;
}

function scrapeHandler<E extends Env>(metrics: ServiceMetrics): Handler<E> {
  return async (c) => {
    const { body, contentType } = await metrics.scrape();
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  };
}
