/**
 * The API's document and its page: the OpenAPI 3.1 document generated from the route declarations,
 * and a self-contained HTML rendering of it.
 */
export { buildOpenApi, type OpenApiOptions } from './openapi.js';
export type { JsonSchema, OpenApiDocument, Operation, PathItem, ResponseObject } from './openapi-types.js';
export { renderDocsPage, escapeHtml } from './docs.js';
