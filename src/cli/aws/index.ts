/**
 * The AWS management commands (`cca deploy`, `deploy-api`, `destroy`, `info`, `download`,
 * `api-key`, `logs`, `invoke --runtime-arn`): the original sample's shell scripts as one CLI.
 * Each has a `run*` the command table calls with parsed flags and a `*Command(args, env, io, deps?)`
 * for callers with raw arguments; AWS clients and the process runner are injectable.
 */
export { apiKeyCommand, runApiKey } from './api-key.js';
export type { AwsClients } from './clients.js';
export { deployCommand, runDeploy } from './deploy.js';
export { deployApiCommand, runDeployApi } from './deploy-api.js';
export { DeploymentInfo, readDeployment, resolveRegion } from './deployment.js';
export { destroyCommand, runDestroy } from './destroy.js';
export { downloadCommand, runDownload } from './download.js';
export { infoCommand, runInfo } from './info.js';
export { invokeRuntimeCommand, runInvokeRuntime } from './invoke-runtime.js';
export { logsCommand, runLogs } from './logs.js';
export type { ProcessRunner, RunOptions, RunResult } from './process-runner.js';
