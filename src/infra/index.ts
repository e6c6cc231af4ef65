/**
 * Infrastructure as code (AWS CDK): the AgentStack (S3, ECR, IAM, AgentCore Runtime), the optional
 * ApiStack (API Gateway + Lambda) and the app `cca synth` / `cca deploy` synthesize.
 */
export { AgentStack, type AgentStackProps } from './agent-stack.js';
export { ApiStack, type ApiStackProps } from './api-stack.js';
export { buildApp, stacksOf, synthesize, type BuildAppOptions } from './app.js';
export { defaultLambdaCodeDir } from './api-function.js';
export {
  AGENT_OUTPUTS,
  AGENTCORE_QUALIFIER,
  API_OUTPUTS,
  DEFAULT_AGENT_STACK_NAME,
  DEFAULT_API_STACK_NAME,
  DEFAULT_IDLE_TIMEOUT_S,
  DEFAULT_IMAGE_TAG,
  DEFAULT_MAX_LIFETIME_S,
  DEFAULT_REGION,
  DEFAULT_SESSION_MOUNT_PATH,
  USAGE_PLAN,
} from './defaults.js';
export { InfraConfigError } from './errors.js';
export { bedrockModelArns, parseModelId } from './model-arns.js';
export { sessionStorage, type SessionStorage } from './session-storage.js';
