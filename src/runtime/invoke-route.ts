/**
 * The one handler behind `POST /invocations` (AgentCore contract) and `POST /invoke` (public API):
 * validate, run, answer. The caller, when there is one, was set by the API key middleware.
 */
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Config } from '../config/index.js';
import { PayloadTooLargeError, ValidationError } from '../errors/index.js';
import { parseInvocation } from './schema.js';
import type { InvocationService } from './service.js';

/** The authenticated caller of a request, as the API key middleware leaves it. */
export interface Caller {
  keyId: string;
  maxConcurrent: number;
}

/** Hono environment of routes that may have a caller. */
export type CallerEnv = { Variables: { caller?: Caller } };

/** The header AgentCore uses to carry the session id. */
export const SESSION_HEADER = 'X-Amzn-Bedrock-AgentCore-Runtime-Session-Id';

/** Body size limit answering 413 in the service's error format. */
export function invocationBodyLimit(config: Config) {
  return bodyLimit({
    maxSize: config.limits.maxBodyBytes,
    onError: () => {
      throw new PayloadTooLargeError(`The body is larger than ${config.limits.maxBodyBytes} bytes; send a shorter prompt.`, {
        limit: config.limits.maxBodyBytes,
      });
    },
  });
}

/** Builds the invocation handler. */
export function invocationHandler(config: Config, service: InvocationService) {
  return async (c: Context<CallerEnv>) => {
    const request = parseInvocation(await readJson(c.req.raw), config.limits);
    const caller = c.get('caller');
    const output = await service.invoke(request, {
      sessionId: c.req.header(SESSION_HEADER) || undefined,
      baseUrl: publicOrigin(config, c.req.url),
      ownerKeyId: caller?.keyId,
      maxConcurrent: caller?.maxConcurrent,
    });
    return c.json(output);
  };
}

/** The origin download links point at: the configured public URL, else the request's own. */
export function publicOrigin(config: Config, requestUrl: string): string {
  return config.publicUrl ?? new URL(requestUrl).origin;
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
