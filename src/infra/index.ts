/**
 * Infrastructure as code (AWS CDK): the AgentStack (S3, ECR, IAM, AgentCore Runtime and its log and
 * trace deliveries, optionally an AgentCore Gateway), the optional
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
  GATEWAY_OUTPUTS,
  USAGE_PLAN,
} from './defaults.js';
export { InfraConfigError } from './errors.js';
export { agentGateway, gatewayNameFor, type AgentGateway, type GatewayOption } from './gateway.js';
export {
  checkGatewayUrl,
  GATEWAY_MCP_SERVER,
  gatewayMcpConfig,
  gatewayUrlFor,
  parseGatewayRef,
  type GatewayMcpConfig,
  type GatewayRef,
} from './gateway-ref.js';
export { RuntimeObservability, runtimeLogGroupName } from './runtime-observability.js';
export { bedrockModelArns, parseModelId } from './model-arns.js';
export { sessionStorage, type SessionStorage } from './session-storage.js';
