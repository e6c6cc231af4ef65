/**
 * Names and defaults shared by the stacks, the app and the CLI: the output names are a contract
 * (`cca deploy`, `cca info` and friends read them from CloudFormation).
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { InfraConfigError } from './errors.js';

/** The region used when none is given (the original sample's). */
export const DEFAULT_REGION = 'ap-northeast-1';

export const DEFAULT_AGENT_STACK_NAME = 'claude-code-agent-stack';
export const DEFAULT_API_STACK_NAME = 'claude-code-agent-api-stack';

/** The image tag the runtime pulls unless told otherwise. */
export const DEFAULT_IMAGE_TAG = 'latest';

/** AgentCore stops a session's microVM after this long without a request. */
export const DEFAULT_IDLE_TIMEOUT_S = 900;
/** ...and after this long in any case (AgentCore's maximum, 8 hours). */
export const DEFAULT_MAX_LIFETIME_S = 28_800;
/** AgentCore accepts lifecycle values from 60 s to 8 h. */
export const LIFECYCLE_RANGE_S = { min: 60, max: 28_800 } as const;

/**
 * Where AgentCore mounts a session's own persistent storage (session storage: 1 GB, kept across
 * the microVM's stops, reset after 14 days without an invocation or by a new runtime version).
 */
export const DEFAULT_SESSION_MOUNT_PATH = '/mnt/cca';

/** Objects (and their old versions) live this long in the artifact bucket. */
export const ARTIFACT_RETENTION_DAYS = 30;
/** Server access logs of the artifact bucket live this long. */
export const ACCESS_LOG_RETENTION_DAYS = 90;

/** The runtime's vended logs (application and usage) live this long, as its files do. */
export const RUNTIME_LOG_RETENTION = RetentionDays.ONE_MONTH;

/** The qualifier the Lambda invokes: the endpoint AgentCore creates with every runtime. */
export const AGENTCORE_QUALIFIER = 'DEFAULT';

/** CloudFormation output names of the AgentStack. */
export const AGENT_OUTPUTS = {
  bucketName: 'BucketName',
  repositoryUri: 'RepositoryUri',
  repositoryName: 'RepositoryName',
  runtimeArn: 'RuntimeArn',
  runtimeId: 'RuntimeId',
  roleArn: 'RoleArn',
  modelId: 'ModelId',
  region: 'Region',
  applicationLogGroup: 'ApplicationLogGroup',
} as const;

/** CloudFormation output names of the AgentStack's gateway (with `--gateway` or `--gateway-arn` only). */
export const GATEWAY_OUTPUTS = {
  gatewayArn: 'GatewayArn',
  gatewayId: 'GatewayId',
  gatewayUrl: 'GatewayUrl',
  /** Only for a gateway the stack created: the role to grant its targets to. */
  gatewayRoleArn: 'GatewayRoleArn',
} as const;

/** CloudFormation output names of the ApiStack. */
export const API_OUTPUTS = {
  apiEndpoint: 'ApiEndpoint',
  apiKeyId: 'ApiKeyId',
  apiId: 'ApiId',
  functionName: 'FunctionName',
} as const;

/** The API's usage plan: the original sample's numbers. */
export const USAGE_PLAN = { rateLimit: 10, burstLimit: 20, quotaPerDay: 1000 } as const;

/**
 * An AgentCore runtime name from a stack name: AgentCore wants `[a-zA-Z][a-zA-Z0-9_]{0,47}`,
 * CloudFormation stack names use hyphens.
 * @example runtimeNameFor('claude-code-agent-stack') // 'claude_code_agent_stack'
 */
export function runtimeNameFor(stackName: string): string {
  const name = stackName.replace(/[^a-zA-Z0-9_]/g, '_');
  return (/^[a-zA-Z]/.test(name) ? name : `r_${name}`).slice(0, 48);
}

/**
 * The key prefix of one kind of object under a storage prefix ('' or 'a/b'), as the runtime
 * builds keys (`<prefix>/outputs/...`, `<prefix>/sessions/<id>/...`), reads `<prefix>/inputs/...`,
 * and the API Lambda indexes sessions by owner (`<prefix>/owners/...`).
 * @example storageKeyPrefix('', 'outputs') // 'outputs/'
 */
export function storageKeyPrefix(storagePrefix: string, kind: 'outputs' | 'sessions' | 'inputs' | 'owners'): string {
  return `${storagePrefix === '' ? '' : `${storagePrefix}/`}${kind}/`;
}

/**
 * Checks a storage prefix the way `CCA_STORAGE` parsing does: empty, or segments without '', '.', '..'.
 * @example normalizeStoragePrefix('team-a/') // 'team-a'
 */
export function normalizeStoragePrefix(raw: string): string {
  const prefix = raw.replace(/^\/+|\/+$/g, '');
  if (prefix !== '' && !prefix.split('/').every((s) => s !== '' && s !== '.' && s !== '..' && /^[A-Za-z0-9._-]+$/.test(s))) {
    throw new InfraConfigError(`storagePrefix must be empty or path segments of letters, digits, ".", "_" and "-"; got "${raw}".`);
  }
  return prefix;
}
