/**
 * The API Lambda: API Gateway's `POST /invoke` and `GET /sessions/{session_id}` on AWS, dispatched
 * to the agent runtime on Amazon Bedrock AgentCore with the local gateway's validation and errors.
 * The entry point is `handler.ts` (it reads the environment at load); everything here is pure.
 */
export { createHandler, routeOf, type ApiHandler } from './app.js';
export { loadLambdaConfig, type LambdaConfig } from './config.js';
export { buildDeps, defaultClientFactories, type ClientFactories, type LambdaDeps } from './deps.js';
export { memoryObjects, s3Objects, type SessionObjects } from './objects.js';
export { claimSession, ownerKey, visibleSession, type OwnerRecord } from './owners.js';
export { agentCoreInvoker, runtimeError, RuntimeUnavailableError, type RuntimeAnswer, type RuntimeInvoker } from './runtime.js';
export { AGENTCORE_MIN_SESSION_ID_LENGTH, checkSessionId, sessionIdFor } from './session-id.js';
export { readState, relinkWith, toSessionDetail, type Relink } from './session-detail.js';
export { SESSION_HEADER } from '../http/index.js';
