/**
 * The declared route a request was routed to, as the OpenAPI document spells it
 * (`/sessions/{session_id}/events`): what metrics and traces name a request by. Never the raw
 * path, whose session ids and file keys would make a series (and a span name) per session.
 */
import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';

/** The name of requests no route took (404s, CORS preflights): one value, however many paths are tried. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The declared path of the route that takes this request, read after routing (in a middleware,
 * after `next()`); the route counts even when its guard refused the request before its handler ran.
 * @example app.use('*', async (c, next) => { await next(); log(routePattern(c)); }) // '/sessions/{session_id}'
 */
export function routePattern(c: Context): string {
  // Middleware is registered for every method (ALL); a route's own handlers for its method.
  const route = matchedRoutes(c).findLast((r) => r.method !== 'ALL');
  return route === undefined ? UNMATCHED_ROUTE : openApiPath(route.path);
}

/**
 * A Hono path in the OpenAPI document's spelling: `:name` → `{name}`, the `/files/*` wildcard → `{key}`.
 * @example openApiPath('/sessions/:session_id/permissions/:request_id') // '/sessions/{session_id}/permissions/{request_id}'
 */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}').replace(/\/\*$/, '/{key}');
}
