/**
 * The AWS management commands (`cca deploy`, `deploy-api`, `destroy`, `info`, `download`,
 * `api-key`, `logs`, `migrate-sessions`, `invoke --runtime-arn`): the original sample's shell scripts as one CLI.
 * Each has a `run*` the command table calls with parsed flags and a `*Command(args, env, io, deps?)`
 * for callers with raw arguments; AWS clients and the process runner are injectable.
 */
export { runApiKey } from './api-key.js';
export type { AwsClients } from './clients.js';
export { runDeploy } from './deploy.js';
export { runDeployApi } from './deploy-api.js';
export { DeploymentInfo, readDeployment, resolveRegion } from './deployment.js';
export { runDestroy } from './destroy.js';
export { runDownload } from './download.js';
export { runInfo } from './info.js';
export { runInvokeRuntime } from './invoke-runtime.js';
export { runLogs } from './logs.js';
export { runMigrateSessions } from './migrate-sessions.js';
export type { ProcessRunner, RunOptions, RunResult } from './process-runner.js';
