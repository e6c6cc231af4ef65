/**
 * The AWS management commands (`cca deploy`, `deploy-api`, `destroy`, `info`, `download`,
 * `api-key`, `logs`, `invoke --runtime-arn`): the original sample's shell scripts as one CLI.
 * Each is `(args, env, io, deps?) => Promise<exit status>` with injectable AWS clients and process runner.
 */
export { apiKeyCommand } from './api-key.js';
export type { AwsClients, AwsDeps } from './clients.js';
export { deployCommand } from './deploy.js';
export { deployApiCommand } from './deploy-api.js';
export { DeploymentInfo, readDeployment, resolveRegion } from './deployment.js';
export { destroyCommand } from './destroy.js';
export { downloadCommand } from './download.js';
export { infoCommand } from './info.js';
export { invokeRuntimeCommand } from './invoke-runtime.js';
export { wantsRuntime } from './runtime-flag.js';
export { logsCommand } from './logs.js';
export type { ProcessRunner, RunOptions, RunResult } from './process-runner.js';
