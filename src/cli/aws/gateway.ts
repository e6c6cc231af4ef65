/**
 * The AgentCore Gateway of `cca deploy`: which one the flags (or the last deploy) ask for, the
 * check that an attached one can take the runtime's SigV4-signed calls, and what deployment.json
 * records of it.
 */
import { GetGatewayCommand, type BedrockAgentCoreControlClient } from '@aws-sdk/client-bedrock-agentcore-control';
import { GATEWAY_OUTPUTS } from '../../infra/defaults.js';
import { InfraConfigError } from '../../infra/errors.js';
import { checkGatewayUrl, parseGatewayRef } from '../../infra/gateway-ref.js';
import { UsageError } from '../io.js';
import { describeAwsError } from './aws-errors.js';
import type { CdkAppContext } from './cdk-context.js';
import type { DeploymentInfo } from './deployment.js';
import { StepError } from './steps.js';

/** The gateway flags of `cca deploy` (declared in commands/). */
export type GatewayFlags = { gateway?: boolean; 'no-gateway'?: boolean; 'gateway-arn'?: string; 'gateway-url'?: string };

/** What the deploy does about a gateway. */
export type GatewayChoice = { mode: 'none' } | { mode: 'create' } | { mode: 'attach'; ref: string; url?: string };

/**
 * The gateway from the flags, else the one deployment.json records (a redeploy without flags keeps
 * it: dropping it would delete a created gateway). Contradicting or malformed flags are usage errors.
 * @example chooseGateway({ gateway: true }, undefined) // { mode: 'create' }
 */
export function chooseGateway(flags: GatewayFlags, previous: DeploymentInfo | undefined): GatewayChoice {
  const arn = flags['gateway-arn'];
  const url = flags['gateway-url'];
  const given = [
    flags.gateway === true && '--gateway',
    arn !== undefined && '--gateway-arn',
    flags['no-gateway'] === true && '--no-gateway',
  ];
  const named = given.filter((g): g is string => g !== false);
  if (named.length > 1) {
    throw new UsageError(
      `${named.join(' and ')} contradict each other: --gateway creates a gateway, --gateway-arn attaches one, --no-gateway removes it; give one.`,
    );
  }
  if (url !== undefined && arn === undefined) {
    throw new UsageError('--gateway-url needs --gateway-arn: it is the MCP URL of the gateway you attach.');
  }
  try {
    if (arn !== undefined) {
      parseGatewayRef(arn);
      if (url !== undefined) checkGatewayUrl(url);
      return { mode: 'attach', ref: arn, ...(url === undefined ? {} : { url }) };
    }
  } catch (err) {
    if (err instanceof InfraConfigError) throw new UsageError(`--gateway-arn/--gateway-url: ${err.message}`);
    throw err;
  }
  if (flags.gateway === true) return { mode: 'create' };
  if (flags['no-gateway'] === true) return { mode: 'none' };
  if (previous?.gateway_mode === 'created') return { mode: 'create' };
  if (previous?.gateway_mode === 'attached' && previous.gateway_arn !== undefined) {
    return { mode: 'attach', ref: previous.gateway_arn, ...(previous.gateway_url === undefined ? {} : { url: previous.gateway_url }) };
  }
  return { mode: 'none' };
}

/** The CDK context of a choice. */
export function gatewayContext(choice: GatewayChoice): Pick<CdkAppContext, 'gateway' | 'gatewayArn' | 'gatewayUrl'> {
  if (choice.mode === 'create') return { gateway: true };
  if (choice.mode === 'attach') return { gatewayArn: choice.ref, ...(choice.url === undefined ? {} : { gatewayUrl: choice.url }) };
  return {};
}

/**
 * Reads the gateway to attach (AgentCore GetGateway) and refuses one the runtime could not use: a
 * gateway that authorizes callers with JWTs (the runtime signs with its AWS role), one that does not
 * speak MCP, or one failed or being deleted. Returns the choice with the full ARN and the gateway's URL.
 * @example const attached = await checkAttachedGateway(() => clients.agentCoreControl, { mode: 'attach', ref: 'tools-abcde12345' }, 'us-east-1');
 */
export async function checkAttachedGateway(
  controlIn: (region: string) => BedrockAgentCoreControlClient,
  choice: Extract<GatewayChoice, { mode: 'attach' }>,
  deployRegion: string,
): Promise<{ choice: Extract<GatewayChoice, { mode: 'attach' }>; summary: string }> {
  const { id, arn: parsedArn } = parseGatewayRef(choice.ref);
  let gateway;
  try {
    // A gateway named by ARN lives in the ARN's region; a bare id in the deployment's.
    gateway = await controlIn(parsedArn?.region ?? deployRegion).send(new GetGatewayCommand({ gatewayIdentifier: id }));
  } catch (err) {
    throw new StepError(
      `${describeAwsError(err, `AgentCore GetGateway ${id}`)} --gateway-arn must name a gateway of this account that your credentials can read.`,
    );
  }
  if (gateway.authorizerType !== 'AWS_IAM') {
    throw new StepError(
      `the gateway ${id} authorizes callers with ${gateway.authorizerType ?? 'nothing'}, but the runtime signs its MCP calls with its ` +
        `AWS role (SigV4), which needs inbound auth AWS_IAM: attach a gateway created with IAM inbound auth, or let cca create one (--gateway).`,
    );
  }
  if (gateway.protocolType !== undefined && gateway.protocolType !== 'MCP') {
    throw new StepError(`the gateway ${id} speaks ${gateway.protocolType}, not MCP: the runtime can only use an MCP gateway.`);
  }
  if (gateway.status === 'FAILED' || gateway.status === 'DELETING') {
    throw new StepError(
      `the gateway ${id} is ${gateway.status}${gateway.statusReasons?.length ? `: ${gateway.statusReasons.join('; ')}` : ''}.`,
    );
  }
  const arn = gateway.gatewayArn ?? choice.ref;
  const url = choice.url ?? gateway.gatewayUrl;
  return {
    choice: { mode: 'attach', ref: arn, ...(url === undefined ? {} : { url }) },
    summary: `gateway ${id}: MCP, inbound auth AWS_IAM, ${gateway.status ?? 'status unknown'}`,
  };
}

/** What deployment.json records of the gateway, from the agent stack's outputs. */
export function gatewayFields(
  choice: GatewayChoice,
  outputs: Record<string, string>,
): Pick<DeploymentInfo, 'gateway_mode' | 'gateway_arn' | 'gateway_url'> {
  if (choice.mode === 'none') return {};
  const arn = outputs[GATEWAY_OUTPUTS.gatewayArn] ?? (choice.mode === 'attach' ? choice.ref : undefined);
  const url = outputs[GATEWAY_OUTPUTS.gatewayUrl] ?? (choice.mode === 'attach' ? choice.url : undefined);
  return {
    gateway_mode: choice.mode === 'create' ? 'created' : 'attached',
    ...(arn === undefined ? {} : { gateway_arn: arn }),
    ...(url === undefined ? {} : { gateway_url: url }),
  };
}
