/**
 * How routes are declared: each route is one `createRoute` declaration (path, parameters, body,
 * every response with its zod schema and examples) that both validates requests and generates the
 * OpenAPI document, so the two cannot drift. Validation failures become the service's own 400.
 */
import { OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import type { Env, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { ValidationError } from '../errors/index.js';
import { issuesOf } from './issues.js';

/** What the validators hand the hook: the parsed data, or the zod error. */
type ValidationResult = { success: true } | { success: false; error: z.ZodError };

/**
 * Turns a failed validation into a 400 with the schema's own message (each schema says what is
 * wrong and how to fix it) and the field it concerns.
 */
export function validationHook(result: ValidationResult): void {
  if (result.success) return;
  const issues = issuesOf(result.error);
  const first = issues[0];
  throw new ValidationError(issues.map((i) => i.message).join(' '), issues.length === 1 && first ? { field: first.field } : { issues });
}

/**
 * A group of routes: an OpenAPIHono whose failed validations answer like every other 400.
 * @example const app = routeGroup<CallerEnv>(); app.openapi(healthRoute, (c) => c.json(health()));
 */
export function routeGroup<E extends Env>(): OpenAPIHono<E> {
  return new OpenAPIHono<E>({ defaultHook: validationHook });
}

/**
 * Serves a declared route with plain handlers, for the routes the library's own validation does
 * not fit: a JSON body read whatever its Content-Type (curl -d sends form encoding, the library
 * would answer 415) and checked with the caller's limits, by the schema the declaration
 * documents (the invocation routes, permission answers); inputs checked in a set order (the
 * session before the event id, Last-Event-ID before `after`); and `/files/{key}`, whose key
 * spans slashes (`honoPath` says so to Hono's router).
 */
export function serveDeclared<E extends Env>(
  app: OpenAPIHono<E>,
  route: RouteConfig,
  honoPath: string,
  ...handlers: MiddlewareHandler<E>[]
): void {
  app.openAPIRegistry.registerPath(route);
  app.on([route.method.toUpperCase()], [honoPath], ...handlers);
}
