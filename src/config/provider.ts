/**
 * Which model provider the service talks to, decided once from the environment with Claude Code's
 * own variables, and the subset of variables the Claude Code child may receive for it.
 */
export type ProviderKind = 'anthropic' | 'bedrock' | 'vertex' | 'none';

export interface ProviderConfig {
  kind: ProviderKind;
  /** Model-provider variables passed to the child: nothing else from the service's environment. */
  env: Record<string, string>;
  /** The model used when neither the request nor CCA_MODEL names one (undefined: Claude Code's default). */
  defaultModel: string | undefined;
  /** Where the requests go, for logs and errors (never a secret). */
  endpoint: string;
}

/**
 * Variables Claude Code reads to reach its model, by provider. Only the active provider's set is
 * passed on: AWS credentials meant for S3 storage never reach an agent that talks to the Anthropic
 * API, and an Anthropic key never reaches one that runs on Bedrock.
 */
const COMMON_VARIABLES = [
  'ANTHROPIC_CUSTOM_HEADERS',
  'ANTHROPIC_DEFAULT_HAIKU_MODEL',
  'ANTHROPIC_DEFAULT_SONNET_MODEL',
  'ANTHROPIC_DEFAULT_OPUS_MODEL',
  'ANTHROPIC_SMALL_FAST_MODEL',
  'API_TIMEOUT_MS',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
  'https_proxy',
  'http_proxy',
  'no_proxy',
  'NODE_EXTRA_CA_CERTS',
] as const;

const ANTHROPIC_VARIABLES = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL'] as const;

const BEDROCK_VARIABLES = [
  'CLAUDE_CODE_USE_BEDROCK',
  'ANTHROPIC_BEDROCK_BASE_URL',
  'CLAUDE_CODE_SKIP_BEDROCK_AUTH',
  'ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_BEARER_TOKEN_BEDROCK',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
] as const;

const VERTEX_VARIABLES = [
  'CLAUDE_CODE_USE_VERTEX',
  'CLOUD_ML_REGION',
  'ANTHROPIC_VERTEX_PROJECT_ID',
  'GOOGLE_APPLICATION_CREDENTIALS',
] as const;

function pick(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') picked[name] = value;
  }
  return picked;
}

const TRUE_VALUES = new Set(['1', 'true', 'yes', 'on']);

/** Claude Haiku 4.5 through the cross-region inference profile that serves `region`. */
export function bedrockDefaultModel(region: string): string {
  return `${inferenceProfilePrefix(region)}.anthropic.claude-haiku-4-5-20251001-v1:0`;
}

function inferenceProfilePrefix(region: string): string {
  if (region.startsWith('us-gov-')) return 'us-gov';
  if (region.startsWith('us-') || region.startsWith('ca-')) return 'us';
  if (region.startsWith('eu-')) return 'eu';
  // Japan and Australia have in-country profiles; the rest of Asia Pacific shares one.
  if (region === 'ap-northeast-1' || region === 'ap-northeast-3') return 'jp';
  if (region === 'ap-southeast-2' || region === 'ap-southeast-4') return 'au';
  if (region.startsWith('ap-')) return 'apac';
  return 'global';
}

/** Reads the provider from an environment (the service's own, once at start-up). */
export function detectProvider(env: NodeJS.ProcessEnv): ProviderConfig {
  if (TRUE_VALUES.has((env.CLAUDE_CODE_USE_BEDROCK ?? '').toLowerCase())) {
    const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
    return {
      kind: 'bedrock',
      env: { ...pick(env, [...COMMON_VARIABLES, ...BEDROCK_VARIABLES]), AWS_REGION: region },
      defaultModel: bedrockDefaultModel(region),
      endpoint: env.ANTHROPIC_BEDROCK_BASE_URL || `https://bedrock-runtime.${region}.amazonaws.com`,
    };
  }
  if (TRUE_VALUES.has((env.CLAUDE_CODE_USE_VERTEX ?? '').toLowerCase())) {
    return { kind: 'vertex', env: pick(env, [...COMMON_VARIABLES, ...VERTEX_VARIABLES]), defaultModel: undefined, endpoint: 'vertex' };
  }
  const anthropic = pick(env, ANTHROPIC_VARIABLES);
  if (Object.keys(anthropic).length > 0) {
    return {
      kind: 'anthropic',
      env: { ...pick(env, COMMON_VARIABLES), ...anthropic },
      defaultModel: undefined,
      endpoint: anthropic.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com',
    };
  }
  return { kind: 'none', env: {}, defaultModel: undefined, endpoint: 'none' };
}

/** What to tell a caller when no provider is configured. */
export const NO_PROVIDER_MESSAGE =
  'No model provider is configured. Start the service with ANTHROPIC_API_KEY set (Anthropic API), ' +
  'ANTHROPIC_BASE_URL (any Anthropic-compatible endpoint, plus ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN if it needs one), ' +
  'or CLAUDE_CODE_USE_BEDROCK=1 with AWS credentials and AWS_REGION (Amazon Bedrock).';

/**
 * The model a run asks for: the request's, else `--model` / CCA_MODEL, else the provider's default
 * (undefined: Claude Code's own). Runs and warm agents resolve it here alike, so they agree.
 * @example runModel(undefined, { model: undefined, provider }) // provider.defaultModel
 */
export function runModel(
  requested: string | undefined,
  config: { model: string | undefined; provider: ProviderConfig },
): string | undefined {
  return requested ?? config.model ?? config.provider.defaultModel;
}
