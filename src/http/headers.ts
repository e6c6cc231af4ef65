/**
 * Header names and CORS lists of the HTTP contract, shared by the local gateway, the runtime and
 * the API Lambda so that all three answer browsers the same way.
 */

/** The header AgentCore uses to carry the session id (the runtime contract; also accepted by `/invoke`). */
export const SESSION_HEADER = 'X-Amzn-Bedrock-AgentCore-Runtime-Session-Id';

/** Request headers a browser may send: the key (two ways), the session, SSE resumption and async preference. */
export const CORS_ALLOW_HEADERS = ['Content-Type', 'x-api-key', 'Authorization', SESSION_HEADER, 'Last-Event-ID', 'Prefer'];

/** Response headers a browser may read: retry hints, where async results are, and the ids of a streamed run. */
export const CORS_EXPOSE_HEADERS = ['Retry-After', 'Location', 'Preference-Applied', 'X-Session-Id', 'X-Invocation-Id'];

/** The methods of the API. */
export const CORS_ALLOW_METHODS = ['GET', 'POST', 'OPTIONS'];

/** How long a browser may cache a preflight answer, in seconds. */
export const CORS_MAX_AGE_S = 600;
