/**
 * The public API's description: zod schemas of every response (the one source of their types),
 * the OpenAPI 3.1 document generated from them and the request schema, and its HTML page.
 */
export * from '../../schemas/responses.js';
export * from '../../schemas/control.js';
export { buildOpenApi, type OpenApiOptions } from './openapi.js';
export type { JsonSchema, OpenApiDocument, Operation, PathItem, ResponseObject } from './openapi-types.js';
export { renderDocsPage, escapeHtml } from './docs.js';
export {
  EXAMPLE_REQUEST,
  EXAMPLE_OUTPUT,
  EXAMPLE_SESSION_LIST,
  EXAMPLE_SESSION_DETAIL,
  EXAMPLE_HEALTH,
  EXAMPLE_PING,
  EXAMPLE_ASYNC_ACCEPTED,
  EXAMPLE_EVENT_STREAM,
} from './examples.js';
