/**
 * The API Lambda's configuration, read once from its environment at module load into a typed
 * object. Limits, region and S3 endpoint go through the runtime's own parser (loadConfig) with the
 * same variables and defaults, so the Lambda refuses exactly what the runtime would.
 */
import { ConfigError, declaredMcpServers, loadConfig, type AwsConfig, type Limits } from '../config/index.js';
// The pure part of mcp/, not its index (which would bring the MCP client into the bundle).
import type { McpOutline } from '../mcp/selection.js';
import { DEFAULT_KEY_LIMITS } from '../keys/key-limits.js';

export interface LambdaConfig {
  /** ARN of the AgentCore Runtime that runs the agent. */
  runtimeArn: string;
  /** The runtime endpoint to invoke (AgentCore's `qualifier`). */
  qualifier: string;
  /** Bucket the runtime stores files and session state in. */
  bucket: string;
  /** Key prefix under the bucket ('' or 'a/b'), the same as the runtime's `--storage s3://bucket/prefix`. */
  prefix: string;
  /** AgentCore data-plane endpoint override (tests: the local peer). */
  agentCoreEndpoint: string | undefined;
  /** Region and S3 endpoint, parsed as the runtime parses them (AWS_REGION, AWS_ENDPOINT_URL_S3, CCA_S3_FORCE_PATH_STYLE). */
  aws: AwsConfig;
  limits: Limits;
  /**
   * How long `GET /sessions/{id}/events` waits for a new event of a running session before it
   * answers without one (EVENTS_WAIT_S, 0-25, default 20): under API Gateway's 29 s limit.
   */
  eventsWaitS: number;
  /**
   * Runs one API key may have in progress at once (KEY_MAX_CONCURRENT, 0-1000, default 4 as a local
   * key's max_concurrent; 0: no cap).
   */
  keyMaxConcurrent: number;
  /**
   * The runtime's MCP servers by name (CCA_MCP_CONFIG, the same inline JSON the runtime gets, read
   * for names only) and CCA_MCP_ALLOW_REQUEST_SERVERS: `mcp_servers` is checked here, since
   * AgentCore keeps only the status of the runtime's 400. Undefined: the runtime alone checks.
   */
  mcp: McpOutline | undefined;
}

/** The longest long-poll: API Gateway ends a REST integration at 29 s, and the answer needs some of it. */
export const MAX_EVENTS_WAIT_S = 25;

/** The variables of the runtime's own configuration the Lambda shares: limits, region, S3 endpoint. */
const SHARED_VARIABLES = [
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL',
  'CCA_S3_FORCE_PATH_STYLE',
  'CCA_MAX_BODY_BYTES',
  'CCA_MAX_PROMPT_CHARS',
  'CCA_MAX_TURNS',
  'CCA_MAX_TURNS_LIMIT',
  'CCA_MAX_BUDGET_USD',
  'CCA_MAX_BUDGET_USD_LIMIT',
  'CCA_TIMEOUT_S',
  'CCA_TIMEOUT_S_LIMIT',
  'CCA_DOWNLOAD_URL_TTL_S',
  'CCA_APPROVAL_TIMEOUT_S',
  'CCA_APPROVAL_TIMEOUT_S_LIMIT',
] as const;

// arn:<partition>:bedrock-agentcore:<region>:<account>:runtime/<runtime id>
const RUNTIME_ARN = /^arn:aws[a-z-]*:bedrock-agentcore:[a-z0-9-]+:\d{12}:runtime\/[A-Za-z0-9_-]{1,100}$/;

/**
 * Builds the configuration from an environment; throws ConfigError naming the variable to fix.
 * @example const config = loadLambdaConfig(process.env);
 */
export function loadLambdaConfig(env: NodeJS.ProcessEnv): LambdaConfig {
  const runtimeArn = required(env, 'RUNTIME_ARN');
  if (!RUNTIME_ARN.test(runtimeArn)) {
    throw new ConfigError(
      `RUNTIME_ARN must be an AgentCore Runtime ARN such as arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/my_agent-AbCdEf1234; got "${runtimeArn}".`,
    );
  }
  const bucket = required(env, 'BUCKET');
  const prefix = (nonEmpty(env.STORAGE_PREFIX) ?? '').replace(/^\/+|\/+$/g, '');
  required(env, 'AWS_REGION');
  const shared: NodeJS.ProcessEnv = {};
  for (const name of SHARED_VARIABLES) shared[name] = env[name];
  let parsed: ReturnType<typeof loadConfig>;
  try {
    // The runtime's own parser checks the bucket name and prefix segments the same way.
    parsed = loadConfig({ storage: `s3://${bucket}${prefix === '' ? '' : `/${prefix}`}` }, shared);
  } catch (err) {
    if (err instanceof ConfigError && /storage/i.test(err.message)) {
      throw new ConfigError(
        `BUCKET must be an S3 bucket name and STORAGE_PREFIX a key prefix without empty, "." or ".." segments; got BUCKET="${bucket}", STORAGE_PREFIX="${prefix}".`,
      );
    }
    throw err;
  }
  const storage = parsed.storage;
  if (storage.kind !== 's3') throw new ConfigError('BUCKET is required.');
  return {
    runtimeArn,
    qualifier: nonEmpty(env.AGENTCORE_QUALIFIER) ?? 'DEFAULT',
    bucket: storage.bucket,
    prefix: storage.prefix,
    agentCoreEndpoint: nonEmpty(env.AGENTCORE_ENDPOINT),
    aws: parsed.aws,
    limits: parsed.limits,
    eventsWaitS: eventsWait(env.EVENTS_WAIT_S),
    keyMaxConcurrent: keyMaxConcurrent(env.KEY_MAX_CONCURRENT),
    mcp: mcpOutline(env),
  };
}

function mcpOutline(env: NodeJS.ProcessEnv): McpOutline | undefined {
  // CCA_MCP_SERVERS (names, comma-separated) is what the CDK gives: the runtime's config holds the
  // gateway's URL, an attribute of the other stack, and the Lambda needs only the names.
  const names = nonEmpty(env.CCA_MCP_SERVERS)
    ?.split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const servers =
    declaredMcpServers(nonEmpty(env.CCA_MCP_CONFIG)) ??
    (names === undefined ? undefined : Object.fromEntries(names.map((n) => [n, { default: false }])));
  if (servers === undefined) return undefined;
  return { servers, allowRequestServers: /^(1|true)$/.test(nonEmpty(env.CCA_MCP_ALLOW_REQUEST_SERVERS) ?? '') };
}

function keyMaxConcurrent(raw: string | undefined): number {
  const value = nonEmpty(raw);
  if (value === undefined) return DEFAULT_KEY_LIMITS.maxConcurrent;
  if (!/^\d+$/.test(value) || Number(value) > 1000) {
    throw new ConfigError(`KEY_MAX_CONCURRENT must be a whole number from 0 (no cap) to 1000; got "${value}".`);
  }
  return Number(value);
}

function eventsWait(raw: string | undefined): number {
  const value = nonEmpty(raw);
  if (value === undefined) return 20;
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || seconds > MAX_EVENTS_WAIT_S) {
    throw new ConfigError(`EVENTS_WAIT_S must be a number of seconds from 0 to ${MAX_EVENTS_WAIT_S}; got "${value}".`);
  }
  return seconds;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = nonEmpty(env[name]);
  if (value === undefined) throw new ConfigError(`${name} is required in the Lambda's environment.`);
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
