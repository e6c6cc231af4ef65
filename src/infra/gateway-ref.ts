/**
 * An AgentCore Gateway named by the operator (`--gateway-arn`): its ARN or id, checked; the MCP URL
 * AgentCore gives it; and the MCP config (`CCA_MCP_CONFIG`) that points the runtime at it. Pure
 * functions, shared by the stack and the CLI.
 */
import { InfraConfigError } from './errors.js';

/** The name the gateway has among the runtime's MCP servers: its tools are `mcp__gateway__<target>___<tool>`. */
export const GATEWAY_MCP_SERVER = 'gateway';

/** A gateway id as AgentCore makes them: the lower-cased name, "-", ten characters. */
const GATEWAY_ID = /^([0-9a-z][-]?){1,100}-[0-9a-z]{10}$/;
const GATEWAY_ARN = /^arn:(aws[a-z-]*):bedrock-agentcore:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}):(\d{12}):gateway\/(.+)$/;

/** A gateway as the operator named it: the id always; partition, region and account when an ARN was given. */
export interface GatewayRef {
  id: string;
  arn?: { partition: string; region: string; account: string; value: string };
}

/**
 * Parses `--gateway-arn`: a gateway ARN, or a bare id (a gateway of the stack's account and region).
 * @example parseGatewayRef('arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/tools-abcde12345').id // 'tools-abcde12345'
 */
export function parseGatewayRef(value: string): GatewayRef {
  const text = value.trim();
  const arn = GATEWAY_ARN.exec(text);
  const id = arn ? (arn[4] as string) : text;
  if (!GATEWAY_ID.test(id)) {
    throw new InfraConfigError(
      `gateway must be an AgentCore Gateway ARN (arn:aws:bedrock-agentcore:REGION:ACCOUNT:gateway/ID) or its id ` +
        `(lower-case letters, digits and "-", ending in "-" and ten characters, e.g. tools-abcde12345); got "${value}".`,
    );
  }
  if (!arn) return { id };
  return { id, arn: { partition: arn[1] as string, region: arn[2] as string, account: arn[3] as string, value: text } };
}

/**
 * The MCP endpoint AgentCore gives a gateway (the `gatewayUrl` of GetGateway).
 * @example gatewayUrlFor('tools-abcde12345', 'us-east-1') // 'https://tools-abcde12345.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp'
 */
export function gatewayUrlFor(id: string, region: string, partition = 'aws'): string {
  const suffix = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://${id}.gateway.bedrock-agentcore.${region}.${suffix}/mcp`;
}

/**
 * Checks `--gateway-url`: https, no credentials or fragment, nothing the MCP config would expand.
 * @example checkGatewayUrl('https://tools-abcde12345.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp');
 */
export function checkGatewayUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  // `${VAR}` in an MCP server's url is replaced from the service's environment: a literal URL has none.
  if (!url || url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.hash !== '' || /[\s$]/.test(value)) {
    throw new InfraConfigError(
      `gateway URL must be the gateway's https:// MCP endpoint without credentials, fragment or "$" ` +
        `(e.g. https://ID.gateway.bedrock-agentcore.REGION.amazonaws.com/mcp); got "${value}".`,
    );
  }
  return value;
}

/** One remote MCP server of the MCP config, signed with the service's own AWS credentials. */
export interface GatewayMcpConfig {
  mcpServers: Record<string, { type: 'http'; url: string; auth: { type: 'aws_iam'; region?: string } }>;
}

/**
 * The MCP config that makes the gateway the runtime's MCP server `gateway`, signed with SigV4 by
 * the execution role (`auth.region` only for a gateway outside the runtime's region).
 * @example gatewayMcpConfig('https://x.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp').mcpServers.gateway.auth // { type: 'aws_iam' }
 */
export function gatewayMcpConfig(url: string, signingRegion?: string): GatewayMcpConfig {
  return {
    mcpServers: {
      [GATEWAY_MCP_SERVER]: {
        type: 'http',
        url,
        auth: { type: 'aws_iam', ...(signingRegion === undefined ? {} : { region: signingRegion }) },
      },
    },
  };
}
