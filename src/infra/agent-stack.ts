/**
 * The AgentStack: artifact bucket, image repository, execution role, optionally an AgentCore
 * Gateway, and (second phase, once the image is pushed) the AgentCore Runtime that runs
 * `cca runtime` from that image, with its log and trace deliveries.
 */
import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as agentcore from 'aws-cdk-lib/aws-bedrockagentcore';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { bedrockDefaultModel } from '../config/provider.js';
import { ArtifactBucket } from './artifact-bucket.js';
import {
  AGENT_OUTPUTS,
  DEFAULT_AGENT_STACK_NAME,
  DEFAULT_IDLE_TIMEOUT_S,
  DEFAULT_IMAGE_TAG,
  DEFAULT_MAX_LIFETIME_S,
  DEFAULT_REGION,
  DEFAULT_SESSION_MOUNT_PATH,
  GATEWAY_OUTPUTS,
  normalizeStoragePrefix,
  runtimeNameFor,
} from './defaults.js';
import { assertRegion, InfraConfigError } from './errors.js';
import { executionRole } from './execution-role.js';
import { useStackFeatureFlags } from './feature-flags.js';
import { agentGateway, type AgentGateway, type GatewayOption } from './gateway.js';
import { GATEWAY_MCP_SERVER, gatewayMcpConfig } from './gateway-ref.js';
import { imageRepository } from './image-repository.js';
import { parseModelId } from './model-arns.js';
import { agentRuntime } from './runtime.js';
import { RuntimeObservability } from './runtime-observability.js';
import { sessionStorage, type SessionStorage } from './session-storage.js';

export interface AgentStackProps extends StackProps {
  /** Image tag the runtime runs (default: context `imageTag`, else `latest`). */
  imageTag?: string;
  /** Bedrock model id (default: Claude Haiku 4.5 through the region's inference profile). */
  modelId?: string;
  /** Delete the bucket, its objects and the repository's images with the stack (default: keep them). */
  emptyOnDestroy?: boolean;
  /** false: bucket, repository and role only, the phase before the image exists (default true). */
  deployRuntime?: boolean;
  /** Seconds without a request before AgentCore ends a session (default 900). */
  idleTimeoutS?: number;
  /** Seconds a session may live in any case (default 28800, AgentCore's maximum). */
  maxLifetimeS?: number;
  /** Key prefix in the bucket ('' default): objects go to `<prefix>/outputs/`, `<prefix>/sessions/`. */
  storagePrefix?: string;
  /** AgentCore runtime name (default: the stack name with `_` for `-`). */
  runtimeName?: string;
  /**
   * Mount AgentCore session storage and keep the data dir there, so a session's next microVM finds
   * its database, workspace and transcript without a restore from S3 (default: context
   * `sessionStorage`, else true).
   */
  sessionStorage?: boolean;
  /** Where the session storage is mounted: one directory under /mnt (default /mnt/cca). */
  sessionMountPath?: string;
  /**
   * An AgentCore Gateway as the runtime's MCP server `gateway`: created here (`{ mode: 'create' }`,
   * inbound auth AWS_IAM) or attached (`{ mode: 'attach', ref: ARN or id, url? }`). Default: none.
   */
  gateway?: GatewayOption;
  /** false: no log and trace deliveries for the runtime (default true). */
  observability?: boolean;
}

/**
 * Everything the agent needs on AWS, with the outputs `cca` reads.
 * @example new AgentStack(app, 'Agent', { env: { region: 'us-east-1' }, deployRuntime: false });
 */
export class AgentStack extends Stack {
  readonly bucket: s3.Bucket;
  readonly repository: ecr.Repository;
  readonly role: iam.Role;
  readonly modelId: string;
  readonly storagePrefix: string;
  readonly imageTag: string;
  /** Undefined when session storage is off. */
  readonly sessionStorage: SessionStorage | undefined;
  /** Undefined when `deployRuntime` is false. */
  readonly runtime: agentcore.CfnRuntime | undefined;
  /** Undefined without the `gateway` prop. */
  readonly gateway: AgentGateway | undefined;
  /** Undefined without the runtime, or with `observability: false`. */
  readonly observability: RuntimeObservability | undefined;

  constructor(scope: Construct, id: string, props: AgentStackProps = {}) {
    const region = props.env?.region ?? DEFAULT_REGION;
    assertRegion(region);
    const stackName = props.stackName ?? DEFAULT_AGENT_STACK_NAME;
    super(scope, id, { ...props, stackName, env: { ...props.env, region } });
    useStackFeatureFlags(this);

    this.modelId = props.modelId ?? bedrockDefaultModel(region);
    parseModelId(this.modelId);
    this.storagePrefix = normalizeStoragePrefix(props.storagePrefix ?? '');
    const contextTag: unknown = this.node.tryGetContext('imageTag');
    this.imageTag = props.imageTag ?? (contextTag === undefined || contextTag === null ? DEFAULT_IMAGE_TAG : String(contextTag));
    const contextStorage: unknown = this.node.tryGetContext('sessionStorage');
    const storageOn = props.sessionStorage ?? !(contextStorage === false || contextStorage === 'false');
    this.sessionStorage = storageOn ? sessionStorage(props.sessionMountPath ?? DEFAULT_SESSION_MOUNT_PATH) : undefined;

    this.bucket = new ArtifactBucket(this, 'Artifacts', {
      emptyOnDestroy: props.emptyOnDestroy === true,
      storagePrefix: this.storagePrefix,
    }).bucket;
    this.repository = imageRepository(this, { emptyOnDestroy: props.emptyOnDestroy === true });
    this.gateway = props.gateway === undefined ? undefined : agentGateway(this, props.gateway, { stackName, region });
    this.role = executionRole(this, {
      bucket: this.bucket,
      storagePrefix: this.storagePrefix,
      repository: this.repository,
      modelId: this.modelId,
      ...(this.gateway === undefined ? {} : { gatewayArn: this.gateway.arn }),
    });

    this.runtime =
      props.deployRuntime === false
        ? undefined
        : agentRuntime(this, {
            name: props.runtimeName ?? runtimeNameFor(stackName),
            repository: this.repository,
            imageTag: this.imageTag,
            role: this.role,
            bucket: this.bucket,
            storagePrefix: this.storagePrefix,
            region,
            modelId: this.modelId,
            idleTimeoutS: props.idleTimeoutS ?? DEFAULT_IDLE_TIMEOUT_S,
            maxLifetimeS: props.maxLifetimeS ?? DEFAULT_MAX_LIFETIME_S,
            sessionStorage: this.sessionStorage,
            // toJsonString: the created gateway's URL is a CloudFormation attribute, resolved in the JSON.
            ...(this.gateway === undefined
              ? {}
              : { mcpConfig: this.toJsonString(gatewayMcpConfig(this.gateway.url, this.gateway.signingRegion)) }),
          });
    this.observability =
      this.runtime === undefined || props.observability === false
        ? undefined
        : new RuntimeObservability(this, 'Observability', { runtimeArn: this.runtime.attrAgentRuntimeArn, stackName });

    const output = (name: string, value: string, description: string) =>
      new CfnOutput(this, name, { value, description, ...(EXPORTED.has(name) ? { exportName: this.exportNameOf(name) } : {}) });
    output(AGENT_OUTPUTS.bucketName, this.bucket.bucketName, 'Artifact bucket (outputs/ and sessions/)');
    output(AGENT_OUTPUTS.repositoryUri, this.repository.repositoryUri, 'ECR repository to push the runtime image to');
    output(AGENT_OUTPUTS.repositoryName, this.repository.repositoryName, 'ECR repository name');
    output(AGENT_OUTPUTS.roleArn, this.role.roleArn, 'Execution role of the AgentCore Runtime');
    output(AGENT_OUTPUTS.modelId, this.modelId, 'Bedrock model the runtime may invoke');
    output(AGENT_OUTPUTS.region, region, 'Region of the stack');
    if (this.runtime) {
      output(AGENT_OUTPUTS.runtimeArn, this.runtime.attrAgentRuntimeArn, 'AgentCore Runtime ARN (InvokeAgentRuntime)');
      output(AGENT_OUTPUTS.runtimeId, this.runtime.attrAgentRuntimeId, 'AgentCore Runtime id');
    }
    if (this.observability) {
      output(AGENT_OUTPUTS.applicationLogGroup, this.observability.logGroup.logGroupName, "Runtime's application and usage logs");
    }
    if (this.gateway) {
      output(GATEWAY_OUTPUTS.gatewayUrl, this.gateway.url, "AgentCore Gateway MCP endpoint (the runtime's MCP server gateway)");
      output(GATEWAY_OUTPUTS.gatewayArn, this.gateway.arn, 'AgentCore Gateway ARN (the execution role may invoke only this one)');
      output(GATEWAY_OUTPUTS.gatewayId, this.gateway.id, 'AgentCore Gateway id (create-gateway-target --gateway-identifier)');
      if (this.gateway.role) {
        output(GATEWAY_OUTPUTS.gatewayRoleArn, this.gateway.role.roleArn, "The gateway's service role: grant it what its targets need");
      }
    }
  }

  /** The CloudFormation export name of one of the outputs the ApiStack imports. */
  exportNameOf(output: string): string {
    return `${this.stackName}-${output}`;
  }

  /**
   * What the ApiStack needs, as imports of this stack's exports (explicit names: readable, and
   * stable for cdk-nag acknowledgements). Throws when the stack has no runtime.
   * @example new ApiStack(app, 'Api', { ...agent.apiInputs(), env });
   */
  apiInputs(): { runtimeArn: string; bucketName: string; storagePrefix: string; mcpServers?: string[] } {
    if (!this.runtime) throw new InfraConfigError(`${this.stackName} has no runtime (deployRuntime: false): the API needs one.`);
    return {
      runtimeArn: Fn.importValue(this.exportNameOf(AGENT_OUTPUTS.runtimeArn)),
      bucketName: Fn.importValue(this.exportNameOf(AGENT_OUTPUTS.bucketName)),
      storagePrefix: this.storagePrefix,
      ...(this.gateway === undefined ? {} : { mcpServers: [GATEWAY_MCP_SERVER] }),
    };
  }
}

/** Outputs exported for the ApiStack. */
const EXPORTED = new Set<string>([AGENT_OUTPUTS.runtimeArn, AGENT_OUTPUTS.bucketName]);
