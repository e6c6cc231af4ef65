/** The runtime: the AgentCore Runtime service contract, served locally or in the container. */
export { startRuntime, buildRuntime, type RuntimeHandle } from './server.js';
export { createRuntimeApp, SESSION_HEADER } from './app.js';
export { InvocationService } from './service.js';
export { parseInvocation, InvocationRequest, type ValidInvocation } from './schema.js';
export type { InvocationOutput } from './output.js';
export { Activity, type PingStatus } from './activity.js';
