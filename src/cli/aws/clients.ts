/**
 * The AWS clients the management commands use, made on first use for one region. Commands take
 * them (and the process runner, the clock, ...) as injectable dependencies, so tests hand in mocks.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { BedrockAgentCoreClient } from '@aws-sdk/client-bedrock-agentcore';
import { BedrockAgentCoreControlClient } from '@aws-sdk/client-bedrock-agentcore-control';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECRClient } from '@aws-sdk/client-ecr';
import type { S3Client } from '@aws-sdk/client-s3';
import { spawnRunner, type ProcessRunner } from './process-runner.js';

export interface AwsClients {
  cloudFormation: CloudFormationClient;
  ecr: ECRClient;
  agentCoreControl: BedrockAgentCoreControlClient;
  agentCore: BedrockAgentCoreClient;
  logs: CloudWatchLogsClient;
  apiGateway: APIGatewayClient;
  /** Only `cca download` uses S3; it builds its client from the storage configuration. */
  s3?: S3Client;
}

/** The SDK's own endpoint variables (`AWS_ENDPOINT_URL_<SERVICE>`), read from the environment we were given. */
const ENDPOINT_VARIABLES = {
  cloudFormation: 'AWS_ENDPOINT_URL_CLOUDFORMATION',
  ecr: 'AWS_ENDPOINT_URL_ECR',
  agentCoreControl: 'AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL',
  agentCore: 'AWS_ENDPOINT_URL_BEDROCK_AGENTCORE',
  logs: 'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
  apiGateway: 'AWS_ENDPOINT_URL_API_GATEWAY',
} as const;

type ServiceName = keyof typeof ENDPOINT_VARIABLES;

/**
 * The common client settings for `region` from `env`: an endpoint override and explicit keys when
 * the environment has them (otherwise the SDK's default chain: profile, SSO, instance role).
 */
export function clientConfig(service: ServiceName | 's3', region: string, env: NodeJS.ProcessEnv) {
  const variable = service === 's3' ? 'AWS_ENDPOINT_URL_S3' : ENDPOINT_VARIABLES[service];
  const endpoint = nonEmpty(env[variable]) ?? nonEmpty(env.AWS_ENDPOINT_URL);
  const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  const sessionToken = nonEmpty(env.AWS_SESSION_TOKEN);
  return {
    region,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } } : {}),
  };
}

/**
 * The clients for `region`, each made when first used; `given` ones are used as they are.
 * @example const { cloudFormation } = awsClients('ap-northeast-1', process.env, deps.clients);
 */
export function awsClients(region: string, env: NodeJS.ProcessEnv, given: Partial<AwsClients> = {}): AwsClients {
  const made: Partial<AwsClients> = { ...given };
  const lazy = <K extends ServiceName>(name: K, make: () => AwsClients[K]): AwsClients[K] => {
    made[name] ??= make();
    return made[name] as AwsClients[K];
  };
  return {
    get cloudFormation() {
      return lazy('cloudFormation', () => new CloudFormationClient(clientConfig('cloudFormation', region, env)));
    },
    get ecr() {
      return lazy('ecr', () => new ECRClient(clientConfig('ecr', region, env)));
    },
    get agentCoreControl() {
      return lazy('agentCoreControl', () => new BedrockAgentCoreControlClient(clientConfig('agentCoreControl', region, env)));
    },
    get agentCore() {
      // One attempt: a retried invocation would run the task twice.
      return lazy('agentCore', () => new BedrockAgentCoreClient({ ...clientConfig('agentCore', region, env), maxAttempts: 1 }));
    },
    get logs() {
      return lazy('logs', () => new CloudWatchLogsClient(clientConfig('logs', region, env)));
    },
    get apiGateway() {
      return lazy('apiGateway', () => new APIGatewayClient(clientConfig('apiGateway', region, env)));
    },
    s3: given.s3,
  };
}

/** The injectable parts of CommandDeps (context.ts) that have defaults here; spelled out so context.ts, which names AwsClients, is not imported back. */
interface Defaultable {
  run?: ProcessRunner;
  cwd?: string;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

/** The dependencies with their defaults filled in. */
export function withDefaults(deps: Defaultable = {}) {
  return {
    run: deps.run ?? spawnRunner,
    cwd: deps.cwd ?? process.cwd(),
    now: deps.now ?? (() => new Date()),
    sleep: deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
  };
}

export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
