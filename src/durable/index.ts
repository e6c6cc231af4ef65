/**
 * Durable session state: a session's conversation and files saved to the session store (the
 * artifact store's backend) at the end of each invocation, restored on whichever worker continues
 * it, one invocation at a time across workers by a lease.
 */
export { DurableSessions, workerName, type Claim, type DurableOptions, type SessionTrees } from './durable-sessions.js';
export { SessionLeaseHeldError, SessionStateDamagedError, SessionStoreUnavailableError } from './errors.js';
export { DirObjects, S3Objects, PreconditionFailedError, type ObjectStore } from './objects.js';
export { SaveConflictError, SaveTooLargeError, type SaveResult } from './save.js';
export { walkTree } from './tree.js';
export type { RestoreResult } from './restore.js';
export { blobKey, headKey, type Head } from './manifest.js';
export { leaseKey } from './lease.js';
