/** The public API of `cca serve`: keys and limits, the routes of `/invoke` and the sessions, and the docs. */
export { corsFor, createGatewayRoutes, type GatewayDeps } from './app.js';
export { apiKeyAuth, presentedKey, type AuthDeps } from './auth.js';
export { serveDocs } from './docs-routes.js';
export { RequestLimiter } from './limits.js';
export { buildOpenApi, renderDocsPage, type OpenApiDocument } from './openapi/index.js';
