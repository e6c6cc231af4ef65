/**
 * The CDK context `cca` passes to its app (`-c key=value`), and its parsing on the app's side:
 * one definition for both ends, so a renamed key cannot drift.
 */
import { DEFAULT_AGENT_STACK_NAME, DEFAULT_API_STACK_NAME, DEFAULT_REGION } from '../../infra/defaults.js';

/** What the app builds. Strings on the command line; typed here. */
export interface CdkAppContext {
  region: string;
  stackName: string;
  apiStackName: string;
  /** false: phase 1, the agent stack without its runtime (the image does not exist yet). */
  deployRuntime: boolean;
  /** Include the API stack (API Gateway, Lambda, key and usage plan). */
  deployApi: boolean;
  imageTag?: string;
  modelId?: string;
  emptyOnDestroy?: boolean;
  /** Create an AgentCore Gateway (IAM inbound auth) as the runtime's MCP server. */
  gateway?: boolean;
  /** Attach this gateway (ARN or id) instead. */
  gatewayArn?: string;
  /** The attached gateway's MCP URL, when not the one its ARN implies. */
  gatewayUrl?: string;
}

/**
 * `-c key=value` arguments for `context`, in a fixed order.
 * @example contextArgs({ region: 'us-east-1', stackName: 's', apiStackName: 'a', deployRuntime: false, deployApi: false })
 */
export function contextArgs(context: CdkAppContext): string[] {
  const pairs: [string, string | boolean | undefined][] = [
    ['region', context.region],
    ['stackName', context.stackName],
    ['apiStackName', context.apiStackName],
    ['deployRuntime', context.deployRuntime],
    ['deployApi', context.deployApi],
    ['imageTag', context.imageTag],
    ['modelId', context.modelId],
    ['emptyOnDestroy', context.emptyOnDestroy],
    ['gateway', context.gateway],
    ['gatewayArn', context.gatewayArn],
    ['gatewayUrl', context.gatewayUrl],
  ];
  return pairs.flatMap(([key, value]) => (value === undefined ? [] : ['-c', `${key}=${String(value)}`]));
}

/**
 * Reads the context back inside the app (`app.node.tryGetContext`); values arrive as strings
 * from the command line, or typed from cdk.json.
 */
export function parseContext(get: (key: string) => unknown, env: NodeJS.ProcessEnv): CdkAppContext {
  const text = (key: string) => {
    const value = get(key);
    return value === undefined || value === null || String(value).trim() === '' ? undefined : String(value).trim();
  };
  const flag = (key: string, fallback: boolean) => {
    const value = text(key);
    if (value === undefined) return fallback;
    if (value !== 'true' && value !== 'false') throw new Error(`context ${key} must be true or false; got "${value}".`);
    return value === 'true';
  };
  const modelId = text('modelId');
  const imageTag = text('imageTag');
  const gateway = flag('gateway', false);
  const gatewayArn = text('gatewayArn');
  const gatewayUrl = text('gatewayUrl');
  if (gateway && gatewayArn !== undefined)
    throw new Error('context gateway=true creates a gateway and gatewayArn attaches one: give one of them.');
  if (gatewayUrl !== undefined && gatewayArn === undefined)
    throw new Error('context gatewayUrl needs gatewayArn (the gateway it is the URL of).');
  return {
    region: text('region') ?? env.CDK_DEFAULT_REGION ?? DEFAULT_REGION,
    stackName: text('stackName') ?? DEFAULT_AGENT_STACK_NAME,
    apiStackName: text('apiStackName') ?? DEFAULT_API_STACK_NAME,
    deployRuntime: flag('deployRuntime', true),
    deployApi: flag('deployApi', false),
    ...(imageTag === undefined ? {} : { imageTag }),
    ...(modelId === undefined ? {} : { modelId }),
    emptyOnDestroy: flag('emptyOnDestroy', false),
    ...(gateway ? { gateway } : {}),
    ...(gatewayArn === undefined ? {} : { gatewayArn }),
    ...(gatewayUrl === undefined ? {} : { gatewayUrl }),
  };
}
