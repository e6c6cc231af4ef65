/** The runtime: the AgentCore Runtime service contract, served locally or in the container. */
export { createRuntimeApp } from './app.js';
export { InvocationService } from './service.js';
export type { InvocationOutput } from './output.js';
export { Activity, type PingStatus } from './activity.js';
export type { Caller, CallerEnv } from './invoke-route.js';
export { RunSlots } from './slots.js';
