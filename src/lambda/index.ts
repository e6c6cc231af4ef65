/**
 * The API Lambda: the local gateway's `POST /invoke` and session routes on AWS (list, detail,
 * events, files, cancel, permission answers), dispatched to the agent runtime on Amazon Bedrock
 * AgentCore and read from what it mirrors to the bucket, with the local gateway's validation and
 * errors. The entry point is `handler.ts` (it reads the environment at load); everything here is pure.
 */
export { createHandler, type ApiHandler } from './app.js';
export { loadLambdaConfig, MAX_EVENTS_WAIT_S, type LambdaConfig } from './config.js';
export { buildDeps, defaultClientFactories, type ClientFactories, type LambdaDeps } from './deps.js';
export { DEFAULT_EVENT_BUDGET, eventsAfter, lastEvent, type EventBudget } from './event-log.js';
export { migrateSessions, type MigrationReport } from './migrate.js';
export { listAll, memoryObjects, s3Objects, type ListOptions, type ListPage, type SessionObjects } from './objects.js';
export { indexEntryOf, indexSession, listOwnedSessions, ownerIndexKey, ownerIndexPrefix, type IndexEntry } from './owner-index.js';
export { claimSession, ownerKey, readOwner, visibleSession, type OwnerRecord } from './owners.js';
export { LAMBDA_ROUTES, matchRoute, type LambdaRoute, type RouteMatch, type RouteName } from './router.js';
export {
  agentCoreInvoker,
  runtimeError,
  RuntimeUnavailableError,
  type RuntimeAnswer,
  type RuntimeInvoker,
  type StatusErrors,
} from './runtime.js';
export { AGENTCORE_MIN_SESSION_ID_LENGTH, checkSessionId, sessionIdFor } from './session-id.js';
export { relinkWith, toSessionDetail, toSessionSummary, type Relink } from './session-detail.js';
export { invocationIds, isInProgress, leaseExpiry, readInvocations, readState } from './session-records.js';
