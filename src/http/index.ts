/**
 * The HTTP contract shared by the local gateway, the AgentCore runtime and the API Lambda: the
 * invocation request, how bodies are read, the session header and the CORS lists.
 */
export { bodyTooLarge, parseJsonBody } from './body.js';
export { CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, CORS_EXPOSE_HEADERS, CORS_MAX_AGE_S, SESSION_HEADER } from './headers.js';
export { AgentCoreInvocationRequest, InvocationRequest, parseInvocation, type ValidInvocation } from './invocation-request.js';
export * from './examples.js';
export { routeGroup, serveDeclared } from './routes.js';
