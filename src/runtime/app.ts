/**
 * The AgentCore Runtime contract over HTTP: `POST /invocations`, `GET /ping`, plus signed
 * downloads of stored files. Routes validate, call the domain and return; errors map in one place.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { Config } from '../config/index.js';
import { AppError, MethodNotAllowedError, toErrorResponse, ValidationError } from '../errors/index.js';
import { allowedMethods, routeGroup, serveDeclared } from '../http/index.js';
import type { Logger } from '../logging/index.js';
import type { SessionEvents } from '../events/index.js';
import type { Activity } from './activity.js';
import { invocationBodyLimit, invocationHandler, type CallerEnv } from './invoke-route.js';
import { invocationsRoute } from './routes/invocations.js';
import { pingRoute } from './routes/ping.js';
import type { InvocationService } from './service.js';

export interface AppDeps {
  config: Config;
  service: InvocationService;
  events: SessionEvents;
  activity: Activity;
  logger: Logger;
  /** Run before everything else on every request, in order: request metrics and traces, which must see every answer. */
  observe?: MiddlewareHandler[];
  /** Runs first on every request after `observe` (CORS in `serve` mode, so preflights never meet the key check). */
  cors?: MiddlewareHandler;
  /** Guards `/invocations` (the API key middleware in `serve` mode; none on AgentCore). */
  guard?: MiddlewareHandler<CallerEnv>;
  /** Route groups mounted at the root: signed downloads, and in `serve` mode the public API. */
  routes?: OpenAPIHono<CallerEnv>[];
}

/** Builds the service's Hono app; its OpenAPI registry holds every route mounted on it. */
export function createRuntimeApp(deps: AppDeps): OpenAPIHono<CallerEnv> {
  const { config, service, activity, logger } = deps;
  const app = routeGroup<CallerEnv>();

  for (const middleware of deps.observe ?? []) app.use('*', middleware);
  if (deps.cors) app.use('*', deps.cors);
  app.openapi(pingRoute, (c) => c.json(activity.ping(), 200));
  const guard: MiddlewareHandler<CallerEnv> = deps.guard ?? (async (_c, next) => next());
  // Async answers need somewhere to read the result: the sessions routes of `serve` (which has a
  // guard), or on AgentCore the state mirrored to S3 that the API Lambda reads.
  const asyncAllowed = deps.guard !== undefined || config.storage.kind === 's3';
  const handler = invocationHandler({ config, service, events: deps.events, asyncAllowed, controlAllowed: true });
  const route = invocationsRoute(config.limits.maxBodyBytes);
  serveDeclared(app, route, '/invocations', guard, invocationBodyLimit(config), handler);
  for (const routes of deps.routes ?? []) app.route('/', routes);

  app.notFound((c) => {
    // A path served with other methods answers 405 with them, read from the routes as mounted.
    const allow = allowedMethods(app.routes, c.req.path);
    if (allow.length > 0) {
      const { status, body, headers } = toErrorResponse(new MethodNotAllowedError(c.req.method, c.req.path, allow));
      return c.json(body, status as 405, headers);
    }
    return c.json({ message: `No route ${c.req.method} ${c.req.path}. See GET /openapi.json for the API.`, code: 'not_found' }, 404);
  });
  app.onError((err, c) => {
    // A client that hangs up mid-body makes reading it fail ("aborted"): not a fault of the
    // service, and nobody is left to read the answer. Only faults of the service are errors.
    const clientGone = !(err instanceof AppError) && c.req.raw.signal.aborted;
    const { status, body, headers } = toErrorResponse(clientGone ? new ValidationError('The request was aborted by the client.') : err);
    if (clientGone) logger.info({ err, path: c.req.path }, 'client went away during the request');
    else if (!(err instanceof AppError)) logger.error({ err, path: c.req.path }, 'unhandled error');
    return c.json(body, status as 400, headers);
  });
  return app;
}
