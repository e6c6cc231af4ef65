/** The runtime: the AgentCore Runtime service contract, served locally or in the container. */
export { createRuntimeApp } from './app.js';
export { InvocationService } from './service.js';
export type { InvocationOutput } from './output.js';
export { Activity, type PingStatus } from './activity.js';
export type { Caller, CallerEnv, ResourceCaps } from './invoke-route.js';
export { RunSlots } from './slots.js';
export { invocationBodyLimit, invocationHandler, limitsFor, publicOrigin } from './invoke-route.js';
export { sseResponse } from './sse.js';
export { assertVisible } from './admission.js';
export { filesRoutes } from './routes/files.js';
export { StateWriter } from './state-writer.js';
export { recoverInterrupted } from './recovery.js';
export { assertStorageRoom, storageForRun, type StorageQuota } from './storage-quota.js';
export { createWarmPool } from './warm-setup.js';
export type { WarmAgent } from './warm-agent.js';
