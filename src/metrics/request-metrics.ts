/** Counts every HTTP request of the service's app by method, declared route and status, and times it. */
import type { MiddlewareHandler } from 'hono';
import { routePattern } from '../http/index.js';
import type { ServiceMetrics } from './service-metrics.js';

/**
 * The middleware that counts requests; mounted first, so refusals (403, 404, 429) count too.
 * @example app.use('*', countRequests(metrics))
 */
export function countRequests(metrics: ServiceMetrics): MiddlewareHandler {
  return async function countRequestsMiddleware(c, next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      // The route is known once routing is done; errors were answered by onError by now (c.res has their status).
      metrics.httpRequest(c.req.method, routePattern(c), c.res.status, (performance.now() - started) / 1000);
    }
  };
}
