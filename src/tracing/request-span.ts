/**
 * The server span of every HTTP request, named by its declared route (`POST /invoke`), in the
 * caller's trace when it sent `traceparent`. What the request runs (admission, the invocation)
 * starts inside it.
 */
import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { MiddlewareHandler } from 'hono';
import { routePattern, UNMATCHED_ROUTE } from '../http/index.js';
import { recordError } from './in-span.js';
import { parentContext } from './traceparent.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Polled every few seconds (AgentCore's health check, scrapers): a trace each would bury the invocations. */
const UNTRACED = new Set(['/ping', '/health', '/metrics']);

/**
 * The middleware that traces requests; mounted first, so every answer (refusals too) has its span.
 * @example app.use('*', traceRequests(tracing.tracer))
 */
export function traceRequests(tracer: Tracer): MiddlewareHandler {
  return async function traceRequestsMiddleware(c, next) {
    if (UNTRACED.has(c.req.path)) return next();
    const parent = parentContext(c.req.header('traceparent'), c.req.header('tracestate'));
    // The semantic conventions' rule: a method outside the standard set is _OTHER (clients may send any token).
    const method = METHODS.has(c.req.method) ? c.req.method : '_OTHER';
    const span = tracer.startSpan(
      method === '_OTHER' ? 'HTTP' : method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          [ATTR_URL_PATH]: c.req.path,
          ...(c.req.header('user-agent') ? { [ATTR_USER_AGENT_ORIGINAL]: c.req.header('user-agent') } : {}),
        },
      },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), next);
    } finally {
      const route = routePattern(c);
      if (route !== UNMATCHED_ROUTE) {
        span.updateName(`${method === '_OTHER' ? 'HTTP' : method} ${route}`);
        span.setAttribute(ATTR_HTTP_ROUTE, route);
      }
      const status = c.res.status;
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      // A 4xx is the client's doing: only the service's own failures mark a server span failed.
      if (status >= 500) {
        if (c.error !== undefined) recordError(span, c.error);
        else span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    }
  };
}
