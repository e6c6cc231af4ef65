/**
 * The AgentCore Runtime: the container image from the repository, on AgentCore's public network,
 * speaking HTTP (`/invocations`, `/ping`), configured by environment variables that hold no secret,
 * with the session's data dir on its session storage when that is on.
 */
import * as agentcore from 'aws-cdk-lib/aws-bedrockagentcore';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { LIFECYCLE_RANGE_S } from './defaults.js';
import { InfraConfigError } from './errors.js';
import type { SessionStorage } from './session-storage.js';

export interface AgentRuntimeProps {
  /** AgentCore runtime name, `[a-zA-Z][a-zA-Z0-9_]{0,47}`. */
  name: string;
  repository: ecr.IRepository;
  imageTag: string;
  role: iam.IRole;
  bucket: s3.IBucket;
  storagePrefix: string;
  region: string;
  modelId: string;
  idleTimeoutS: number;
  maxLifetimeS: number;
  /** Undefined: no session storage, the data dir stays in the microVM (the image's /data). */
  sessionStorage: SessionStorage | undefined;
  /** `CCA_MCP_CONFIG`: the MCP config as inline JSON (CloudFormation tokens resolved); undefined: no MCP servers. */
  mcpConfig?: string;
}

/**
 * The runtime's environment: where files go, which provider and model Claude Code uses, (with
 * session storage) the sessions' folders on the session's mount, and (with a gateway) its MCP servers.
 * @example runtimeEnvironment({ bucketName: 'b', storagePrefix: '', region: 'us-east-1', modelId: 'us.x' }).CCA_STORAGE // 's3://b'
 */
export function runtimeEnvironment(p: {
  bucketName: string;
  storagePrefix: string;
  region: string;
  modelId: string;
  sessionsBase?: string;
  mcpConfig?: string;
}): Record<string, string> {
  return {
    ...(p.sessionsBase === undefined ? {} : { CCA_SESSIONS_BASE: p.sessionsBase }),
    // The gateway's URL and how to sign for it; it holds no secret (the execution role signs).
    ...(p.mcpConfig === undefined ? {} : { CCA_MCP_CONFIG: p.mcpConfig }),
    CCA_STORAGE: `s3://${p.bucketName}${p.storagePrefix === '' ? '' : `/${p.storagePrefix}`}`,
    AWS_REGION: p.region,
    CLAUDE_CODE_USE_BEDROCK: '1',
    CCA_MODEL: p.modelId,
    // Claude Code's background calls use its "Haiku" model, by default one the role may not invoke
    // (and an inference profile of another geography): pin them to the one model allowed.
    ANTHROPIC_DEFAULT_HAIKU_MODEL: p.modelId,
    ANTHROPIC_SMALL_FAST_MODEL: p.modelId,
  };
}

/**
 * The CfnRuntime of the agent (the L1: every property is visible in the template).
 * @example agentRuntime(stack, { name: 'cca', repository, imageTag: 'latest', role, bucket, ... });
 */
export function agentRuntime(scope: Construct, props: AgentRuntimeProps): agentcore.CfnRuntime {
  if (!/^[a-zA-Z][a-zA-Z0-9_]{0,47}$/.test(props.name)) {
    throw new InfraConfigError(`runtimeName must start with a letter and have at most 48 letters, digits and "_"; got "${props.name}".`);
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(props.imageTag)) {
    throw new InfraConfigError(`imageTag must be a Docker tag (letters, digits, "_", ".", "-", at most 128); got "${props.imageTag}".`);
  }
  lifecycleSeconds('idleTimeoutS', props.idleTimeoutS);
  lifecycleSeconds('maxLifetimeS', props.maxLifetimeS);
  if (props.idleTimeoutS > props.maxLifetimeS) {
    throw new InfraConfigError(`idleTimeoutS (${props.idleTimeoutS}) cannot exceed maxLifetimeS (${props.maxLifetimeS}).`);
  }
  return new agentcore.CfnRuntime(scope, 'Runtime', {
    agentRuntimeName: props.name,
    description: 'claude-code-agent: Claude Code as a headless coding agent',
    agentRuntimeArtifact: { containerConfiguration: { containerUri: `${props.repository.repositoryUri}:${props.imageTag}` } },
    networkConfiguration: { networkMode: 'PUBLIC' },
    protocolConfiguration: 'HTTP',
    roleArn: props.role.roleArn,
    // The session storage outlives both limits (it is kept until 14 days without an invocation), so
    // they decide only how often a session pays a microVM's start, never whether its state survives.
    lifecycleConfiguration: { idleRuntimeSessionTimeout: props.idleTimeoutS, maxLifetime: props.maxLifetimeS },
    ...(props.sessionStorage === undefined ? {} : { filesystemConfigurations: props.sessionStorage.filesystemConfigurations }),
    environmentVariables: runtimeEnvironment({
      bucketName: props.bucket.bucketName,
      storagePrefix: props.storagePrefix,
      region: props.region,
      modelId: props.modelId,
      ...(props.sessionStorage === undefined ? {} : { sessionsBase: props.sessionStorage.sessionsBase }),
      ...(props.mcpConfig === undefined ? {} : { mcpConfig: props.mcpConfig }),
    }),
  });
}

function lifecycleSeconds(name: string, value: number): void {
  if (!Number.isInteger(value) || value < LIFECYCLE_RANGE_S.min || value > LIFECYCLE_RANGE_S.max) {
    throw new InfraConfigError(
      `${name} must be an integer from ${LIFECYCLE_RANGE_S.min} to ${LIFECYCLE_RANGE_S.max} seconds; got ${value}.`,
    );
  }
}
