/**
 * The AgentCore Gateway the runtime reaches MCP tools through: created by the stack (the L2
 * `Gateway`, MCP, inbound auth AWS_IAM) or attached by ARN. Either way the runtime signs its calls
 * with its execution role, which is granted `bedrock-agentcore:InvokeGateway` on this gateway only.
 */
import { Stack } from 'aws-cdk-lib';
import * as agentcore from 'aws-cdk-lib/aws-bedrockagentcore';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { checkGatewayUrl, gatewayUrlFor, parseGatewayRef } from './gateway-ref.js';

/** What `--gateway` / `--gateway-arn` ask for. */
export type GatewayOption = { mode: 'create' } | { mode: 'attach'; ref: string; url?: string };

/** The gateway the runtime uses, created or attached. */
export interface AgentGateway {
  arn: string;
  /** The MCP endpoint (`https://<id>.gateway.bedrock-agentcore.<region>.amazonaws.com/mcp`). */
  url: string;
  id: string;
  /** The gateway's own service role (for invoking targets); undefined for an attached gateway. */
  role: iam.IRole | undefined;
  /** The region to sign for when the attached gateway is in another region than the runtime. */
  signingRegion: string | undefined;
  /** True when this stack owns the gateway. */
  created: boolean;
}

/**
 * The MCP versions AgentCore Gateway speaks; the MCP client of the runtime picks one of them.
 * Semantic search stays off: it can only be chosen at creation, adds a tool of its own to every
 * listing, and Claude Code searches large MCP tool sets itself.
 */
const MCP_VERSIONS = [
  agentcore.MCPProtocolVersion.MCP_2025_03_26,
  agentcore.MCPProtocolVersion.MCP_2025_06_18,
  agentcore.MCPProtocolVersion.MCP_2025_11_25,
];

/**
 * Creates the gateway, or describes the attached one.
 * @example const gateway = agentGateway(this, { mode: 'create' }, { stackName: 'cca', region: 'us-east-1' });
 */
export function agentGateway(scope: Construct, option: GatewayOption, p: { stackName: string; region: string }): AgentGateway {
  if (option.mode === 'create') {
    // IAM inbound auth: the runtime's role signs, so no client secret exists to store, rotate or leak
    // (a Cognito client-credentials authorizer would put one in the runtime's configuration).
    const gateway = new agentcore.Gateway(scope, 'Gateway', {
      gatewayName: gatewayNameFor(p.stackName),
      description: 'MCP tools for the claude-code-agent runtime',
      protocolConfiguration: agentcore.GatewayProtocol.mcp({ supportedVersions: MCP_VERSIONS }),
      authorizerConfiguration: agentcore.GatewayAuthorizer.usingAwsIam(),
    });
    return {
      arn: gateway.gatewayArn,
      url: gateway.gatewayUrl as string,
      id: gateway.gatewayId,
      role: gateway.role,
      signingRegion: undefined,
      created: true,
    };
  }
  const ref = parseGatewayRef(option.ref);
  const region = ref.arn?.region ?? p.region;
  return {
    arn: ref.arn?.value ?? Stack.of(scope).formatArn({ service: 'bedrock-agentcore', resource: 'gateway', resourceName: ref.id }),
    url: option.url === undefined ? gatewayUrlFor(ref.id, region, ref.arn?.partition) : checkGatewayUrl(option.url),
    id: ref.id,
    role: undefined,
    signingRegion: region === p.region ? undefined : region,
    created: false,
  };
}

/**
 * The gateway's name from the stack's: AgentCore wants `([0-9a-zA-Z][-]?){1,48}`, unique in the
 * account and region, as the stack name is.
 * @example gatewayNameFor('claude-code-agent-stack') // 'claude-code-agent-stack-gateway'
 */
export function gatewayNameFor(stackName: string): string {
  const base = stackName
    .replace(/[^0-9a-zA-Z]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `${base === '' ? 'cca' : base}-gateway`;
}
