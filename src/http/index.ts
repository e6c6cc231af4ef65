/**
 * The HTTP contract shared by the local gateway, the AgentCore runtime and the API Lambda: the
 * invocation request, how bodies are read, the session header and the CORS lists.
 */
export { allowedMethods, type DeclaredRoute } from './allowed-methods.js';
export { bodyTooLarge, parseJsonBody } from './body.js';
export { ControlRequestSchema, isControlRequest, parseControlRequest, type ControlRequest } from './control-request.js';
export { CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, CORS_EXPOSE_HEADERS, CORS_MAX_AGE_S, SESSION_HEADER } from './headers.js';
export { AgentCoreInvocationRequest, InvocationRequest, parseInvocation, type ValidInvocation } from './invocation-request.js';
export * from './examples.js';
export { PAGE_CSP, PAGE_HEADERS } from './page-headers.js';
export { routeGroup, serveDeclared } from './routes.js';
export { openApiPath, routePattern, UNMATCHED_ROUTE } from './route-pattern.js';
export { EVENT_ID_MESSAGE, EventId, parseEventId, SESSION_ID, SESSION_NOT_FOUND, SessionParams } from './session-params.js';
export {
  CURSOR_MESSAGE,
  decodeSessionCursor,
  encodeSessionCursor,
  FILES_LIMIT_MESSAGE,
  FILES_PAGE_LIMIT_MESSAGE,
  KIND_MESSAGE,
  ListSessionsQuery,
  PERMISSION_BODY_MESSAGE,
  SessionDetailQuery,
  SessionFilesQuery,
  SESSIONS_LIMIT_MESSAGE,
  type SessionCursor,
} from './session-queries.js';
