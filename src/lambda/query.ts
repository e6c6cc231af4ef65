/**
 * Query strings of the Lambda's routes, checked by the local routes' own declarations: the same
 * zod schema, defaults and messages, and the same 400 when they fail.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { z } from 'zod';
import { validationHook } from '../http/routes.js';

/**
 * The event's query parameters parsed by `schema` (a route declaration's `request.query`).
 * @example const { limit, cursor } = parseQuery(listSessionsRoute.request.query, event);
 */
export function parseQuery<S extends z.ZodType>(schema: S, event: APIGatewayProxyEvent): z.infer<S> {
  const parsed = schema.safeParse(event.queryStringParameters ?? {});
  if (!parsed.success) validationHook(parsed);
  return parsed.data as z.infer<S>;
}
