/**
 * The operator's token in front of `/metrics`: figures of every tenant are there, so an API key
 * (a tenant's credential) never opens it; only `Authorization: Bearer <metrics token>` does.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ForbiddenError, UnauthorizedError } from '../errors/index.js';

/**
 * Lets a request through when it carries the token; 401 without one, 403 with another.
 * @example app.get('/metrics', metricsTokenGuard(config.metrics.token), handler)
 */
export function metricsTokenGuard(token: string): MiddlewareHandler {
  // Compared as digests: equal lengths whatever was sent, so the comparison takes the same time.
  const expected = digest(token);
  return async function metricsTokenMiddleware(c, next) {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(c.req.header('authorization') ?? '');
    const presented = match?.[1];
    if (presented === undefined) {
      throw new UnauthorizedError(
        "/metrics needs the operator's metrics token (CCA_METRICS_TOKEN) as `Authorization: Bearer <token>`; API keys do not open it.",
      );
    }
    if (!timingSafeEqual(digest(presented), expected)) {
      throw new ForbiddenError(
        "The token is not the metrics token: send the operator's CCA_METRICS_TOKEN as `Authorization: Bearer <token>` (API keys do not open /metrics).",
      );
    }
    await next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
