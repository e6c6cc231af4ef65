/**
 * The AgentCore Runtime contract over HTTP: `POST /invocations`, `GET /ping`, plus signed
 * downloads of stored files. Routes validate, call the domain and return; errors map in one place.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Config } from '../config/index.js';
import { PayloadTooLargeError, ValidationError, toErrorResponse, AppError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { Activity } from './activity.js';
import { parseInvocation } from './schema.js';
import type { InvocationService } from './service.js';

/** The header AgentCore uses to carry the session id. */
export const SESSION_HEADER = 'X-Amzn-Bedrock-AgentCore-Runtime-Session-Id';

export interface AppDeps {
  config: Config;
  service: InvocationService;
  activity: Activity;
  logger: Logger;
  /** Extra routes mounted at the root (signed downloads of the local store). */
  extraRoutes?: Hono;
}

/** Builds the runtime's Hono app. */
export function createRuntimeApp(deps: AppDeps): Hono {
  const { config, service, activity, logger } = deps;
  const app = new Hono();

  app.get('/ping', (c) => c.json(activity.ping()));

  app.post(
    '/invocations',
    bodyLimit({
      maxSize: config.limits.maxBodyBytes,
      onError: () => {
        throw new PayloadTooLargeError(`The body is larger than ${config.limits.maxBodyBytes} bytes; send a shorter prompt.`, {
          limit: config.limits.maxBodyBytes,
        });
      },
    }),
    async (c) => {
      const request = parseInvocation(await readJson(c.req.raw), config.limits);
      const output = await service.invoke(request, {
        sessionId: c.req.header(SESSION_HEADER) || undefined,
        baseUrl: config.publicUrl ?? new URL(c.req.url).origin,
      });
      return c.json(output);
    },
  );

  if (deps.extraRoutes) app.route('/', deps.extraRoutes);

  app.notFound((c) =>
    c.json({ message: `No route ${c.req.method} ${c.req.path}. See GET /ping and POST /invocations.`, code: 'not_found' }, 404),
  );
  app.onError((err, c) => {
    const { status, body, headers } = toErrorResponse(err);
    if (!(err instanceof AppError)) logger.error({ err, path: c.req.path }, 'unhandled error');
    return c.json(body, status as 400, headers);
  });
  return app;
}

/** Reads the body as JSON whatever the Content-Type (curl -d sends form encoding by default). */
async function readJson(request: Request): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === '') {
    throw new ValidationError('The body is empty; send JSON such as {"prompt": "Create a hello world Python script"}.');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ValidationError(`The body is not valid JSON (${(err as Error).message}); send e.g. {"prompt": "..."}.`);
  }
}
