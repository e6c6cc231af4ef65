/**
 * The AgentCore Gateway of the AgentStack, by synthesis: created (the L2 Gateway) or attached by
 * ARN or id; the runtime's CCA_MCP_CONFIG and the execution role's single grant; and nothing of it
 * without the option.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { flatten } from './acknowledgements.js';
import type { AgentStack } from './agent-stack.js';
import { buildApp, stacksOf, type BuildAppOptions } from './app.js';
import { GATEWAY_OUTPUTS } from './defaults.js';
import { InfraConfigError } from './errors.js';
import { gatewayNameFor } from './gateway.js';
import { checkGatewayUrl, gatewayMcpConfig, gatewayUrlFor, parseGatewayRef } from './gateway-ref.js';

const ARN = 'arn:aws:bedrock-agentcore:ap-northeast-1:123456789012:gateway/tools-abcde12345';
const URL_OF_ARN = 'https://tools-abcde12345.gateway.bedrock-agentcore.ap-northeast-1.amazonaws.com/mcp';

function synth(opts: BuildAppOptions): { stack: AgentStack; template: Template; json: Record<string, any> } {
  const { agent } = stacksOf(buildApp(opts));
  const template = Template.fromStack(agent);
  return { stack: agent, template, json: template.toJSON() };
}

/** Resources of one type: logical id → resource. */
const ofType = (json: Record<string, any>, type: string) =>
  Object.fromEntries(Object.entries(json.Resources as Record<string, any>).filter(([, r]) => r.Type === type));

const executionRole = (json: Record<string, any>) =>
  Object.entries(ofType(json, 'AWS::IAM::Role')).find(([id]) => id.startsWith('ExecutionRole'))![1];

/** The execution role's statements that name a bedrock-agentcore action, resources flattened as cdk-nag prints them. */
const agentCoreGrants = (json: Record<string, any>) =>
  (executionRole(json).Properties.Policies[0].PolicyDocument.Statement as Array<Record<string, any>>)
    .filter((s) => [s.Action].flat().some((a: string) => a.startsWith('bedrock-agentcore:')))
    .map((s) => ({ ...s, Resource: [s.Resource].flat().map((r) => flatten(r)) }));

/**
 * CCA_MCP_CONFIG as the runtime will read it: the template's Fn::Join with CloudFormation's values
 * put in (`values` by logical id and attribute), parsed as the MCP config must be.
 */
function mcpConfigOf(json: Record<string, any>, values: Record<string, string> = {}): unknown {
  const runtime = Object.values(ofType(json, 'AWS::BedrockAgentCore::Runtime'))[0];
  const value = runtime.Properties.EnvironmentVariables.CCA_MCP_CONFIG;
  if (value === undefined) return undefined;
  const render = (node: any): string => {
    if (typeof node === 'string') return node;
    if (node['Fn::Join']) return (node['Fn::Join'][1] as unknown[]).map(render).join(node['Fn::Join'][0]);
    if (node['Fn::GetAtt']) return values[node['Fn::GetAtt'].join('.')] ?? `<${node['Fn::GetAtt'].join('.')}>`;
    throw new Error(`unexpected ${JSON.stringify(node)}`);
  };
  return JSON.parse(render(value));
}

describe('AgentStack without a gateway', () => {
  const { json, stack } = synth({});

  it('has no gateway, no gateway role, no MCP config, no gateway outputs, and the execution role no bedrock-agentcore action', () => {
    expect(ofType(json, 'AWS::BedrockAgentCore::Gateway')).toEqual({});
    expect(ofType(json, 'AWS::BedrockAgentCore::GatewayTarget')).toEqual({});
    expect(Object.keys(ofType(json, 'AWS::IAM::Role'))).toHaveLength(1);
    expect(mcpConfigOf(json)).toBeUndefined();
    expect(agentCoreGrants(json)).toEqual([]);
    expect(JSON.stringify(json)).not.toContain('InvokeGateway');
    expect(Object.keys(json.Outputs).filter((k) => k.startsWith('Gateway'))).toEqual([]);
    expect(stack.gateway).toBeUndefined();
  });
});

describe('AgentStack with a gateway it creates (--gateway)', () => {
  const { json, stack } = synth({ gateway: { mode: 'create' } });
  const [gatewayId, gateway] = Object.entries(ofType(json, 'AWS::BedrockAgentCore::Gateway'))[0]!;
  const roles = ofType(json, 'AWS::IAM::Role');
  const gatewayRoleId = Object.keys(roles).find((id) => id.startsWith('GatewayServiceRole'))!;

  it('is one MCP gateway with IAM inbound auth, no search tool of its own, named after the stack, run by its own role', () => {
    expect(Object.keys(ofType(json, 'AWS::BedrockAgentCore::Gateway'))).toHaveLength(1);
    expect(gateway.Properties).toEqual({
      Name: 'claude-code-agent-stack-gateway',
      Description: 'MCP tools for the claude-code-agent runtime',
      ProtocolType: 'MCP',
      ProtocolConfiguration: { Mcp: { SupportedVersions: ['2025-03-26', '2025-06-18', '2025-11-25'] } },
      AuthorizerType: 'AWS_IAM',
      RoleArn: { 'Fn::GetAtt': [gatewayRoleId, 'Arn'] },
    });
    // No Cognito pool, client or secret: the runtime signs with its role.
    expect(JSON.stringify(json)).not.toMatch(/AWS::Cognito::|SecretsManager|CUSTOM_JWT/);
    // No target: they are added after deploy (README), so CloudFormation does not own them.
    expect(ofType(json, 'AWS::BedrockAgentCore::GatewayTarget')).toEqual({});
  });

  it('has a service role only AgentCore may assume, for this gateway of this account, with no permission yet', () => {
    const role = roles[gatewayRoleId];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'bedrock-agentcore.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':bedrock-agentcore:ap-northeast-1:',
                  { Ref: 'AWS::AccountId' },
                  ':gateway/claude-code-agent-stack-gateway-??????????',
                ],
              ],
            },
          },
        },
      },
    ]);
    expect(role.Properties.Policies).toBeUndefined();
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    // No policy attached to it anywhere else either.
    expect(JSON.stringify(ofType(json, 'AWS::IAM::Policy'))).not.toContain(gatewayRoleId);
    expect(stack.resolve(stack.gateway?.role?.roleArn)).toEqual({ 'Fn::GetAtt': [gatewayRoleId, 'Arn'] });
  });

  it("gives the runtime CCA_MCP_CONFIG: the MCP server 'gateway' at the gateway's URL (a CloudFormation attribute, resolved), signed with AWS IAM", () => {
    const runtime = Object.values(ofType(json, 'AWS::BedrockAgentCore::Runtime'))[0];
    expect(runtime.Properties.EnvironmentVariables.CCA_MCP_CONFIG).toEqual({
      'Fn::Join': [
        '',
        ['{"mcpServers":{"gateway":{"type":"http","url":"', { 'Fn::GetAtt': [gatewayId, 'GatewayUrl'] }, '","auth":{"type":"aws_iam"}}}}'],
      ],
    });
    const url = 'https://claude-code-agent-stack-gateway-abcde12345.gateway.bedrock-agentcore.ap-northeast-1.amazonaws.com/mcp';
    expect(mcpConfigOf(json, { [`${gatewayId}.GatewayUrl`]: url })).toEqual({
      mcpServers: { gateway: { type: 'http', url, auth: { type: 'aws_iam' } } },
    });
  });

  it('grants the execution role InvokeGateway on this gateway only, nothing else of bedrock-agentcore', () => {
    expect(agentCoreGrants(json)).toEqual([
      { Sid: 'InvokeGateway', Effect: 'Allow', Action: 'bedrock-agentcore:InvokeGateway', Resource: [`<${gatewayId}.GatewayArn>`] },
    ]);
  });

  it('outputs the URL, ARN, id and service role of the gateway', () => {
    const outputs = json.Outputs as Record<string, { Value: unknown }>;
    expect(
      Object.keys(outputs)
        .filter((k) => k.startsWith('Gateway'))
        .sort(),
    ).toEqual(Object.values(GATEWAY_OUTPUTS).sort());
    expect(outputs.GatewayUrl!.Value).toEqual({ 'Fn::GetAtt': [gatewayId, 'GatewayUrl'] });
    expect(outputs.GatewayArn!.Value).toEqual({ 'Fn::GetAtt': [gatewayId, 'GatewayArn'] });
    expect(outputs.GatewayId!.Value).toEqual({ 'Fn::GetAtt': [gatewayId, 'GatewayIdentifier'] });
    expect(outputs.GatewayRoleArn!.Value).toEqual({ 'Fn::GetAtt': [gatewayRoleId, 'Arn'] });
  });

  it('exists from phase 1 on, with the grant, so that phase 2 only adds the runtime', () => {
    const phase1 = synth({ gateway: { mode: 'create' }, deployRuntime: false }).json;
    expect(Object.keys(ofType(phase1, 'AWS::BedrockAgentCore::Gateway'))).toEqual([gatewayId]);
    expect(agentCoreGrants(phase1)).toHaveLength(1);
    expect(ofType(phase1, 'AWS::BedrockAgentCore::Runtime')).toEqual({});
  });

  it('is named within AgentCore rules for any stack name', () => {
    expect(gatewayNameFor('claude-code-agent-stack')).toBe('claude-code-agent-stack-gateway');
    expect(gatewayNameFor('My--Stack_2')).toBe('My-Stack-2-gateway');
    const long = gatewayNameFor(`a${'-b'.repeat(100)}`);
    expect(long.length).toBeLessThanOrEqual(48);
    for (const name of [long, gatewayNameFor('-x-'), gatewayNameFor('___')]) expect(name).toMatch(/^([0-9a-zA-Z][-]?){1,48}$/);
  });
});

describe('AgentStack with a gateway it attaches (--gateway-arn)', () => {
  it('creates nothing, points the runtime at the URL of the ARN and grants only that ARN', () => {
    const { json, stack } = synth({ gateway: { mode: 'attach', ref: ARN } });
    expect(ofType(json, 'AWS::BedrockAgentCore::Gateway')).toEqual({});
    expect(Object.keys(ofType(json, 'AWS::IAM::Role'))).toHaveLength(1);
    expect(mcpConfigOf(json)).toEqual({ mcpServers: { gateway: { type: 'http', url: URL_OF_ARN, auth: { type: 'aws_iam' } } } });
    expect(agentCoreGrants(json)).toEqual([
      { Sid: 'InvokeGateway', Effect: 'Allow', Action: 'bedrock-agentcore:InvokeGateway', Resource: [ARN] },
    ]);
    expect(json.Outputs.GatewayUrl.Value).toBe(URL_OF_ARN);
    expect(json.Outputs.GatewayArn.Value).toBe(ARN);
    expect(json.Outputs.GatewayRoleArn).toBeUndefined();
    expect(stack.gateway).toMatchObject({ created: false, id: 'tools-abcde12345' });
  });

  it('takes a bare id as a gateway of the stack account and region, and an explicit URL', () => {
    const url = 'https://tools.example.com/mcp';
    const { json } = synth({ gateway: { mode: 'attach', ref: 'tools-abcde12345', url } });
    expect(agentCoreGrants(json)[0]!.Resource).toEqual([
      'arn:<AWS::Partition>:bedrock-agentcore:ap-northeast-1:<AWS::AccountId>:gateway/tools-abcde12345',
    ]);
    expect(mcpConfigOf(json)).toEqual({ mcpServers: { gateway: { type: 'http', url, auth: { type: 'aws_iam' } } } });
  });

  it('signs for the gateway region when it is not the runtime region', () => {
    const other = ARN.replace('ap-northeast-1', 'us-west-2');
    const { json } = synth({ gateway: { mode: 'attach', ref: other } });
    expect(mcpConfigOf(json)).toEqual({
      mcpServers: {
        gateway: {
          type: 'http',
          url: 'https://tools-abcde12345.gateway.bedrock-agentcore.us-west-2.amazonaws.com/mcp',
          auth: { type: 'aws_iam', region: 'us-west-2' },
        },
      },
    });
  });

  it('refuses an ARN, id or URL that names no gateway, before anything is deployed', () => {
    for (const ref of [
      'arn:aws:bedrock-agentcore:ap-northeast-1:123456789012:runtime/rt-abcde12345',
      'arn:aws:bedrock-agentcore:ap-northeast-1:123456789012:gateway/',
      'Tools-ABCDE12345',
      'tools',
      '*',
      'tools-abcde12345/../x',
    ]) {
      expect(() => synth({ gateway: { mode: 'attach', ref } }), ref).toThrow(InfraConfigError);
    }
    for (const url of [
      'http://tools-abcde12345.gateway.bedrock-agentcore.ap-northeast-1.amazonaws.com/mcp',
      'https://user:pw@example.com/mcp',
      'https://example.com/mcp#x',
      'https://${HOST}/mcp',
      'not a url',
    ]) {
      expect(() => synth({ gateway: { mode: 'attach', ref: ARN, url } }), url).toThrow(InfraConfigError);
    }
  });
});

describe('gateway references', () => {
  it('parse ARNs and ids, derive the MCP URL, and build the MCP config', () => {
    expect(parseGatewayRef(` ${ARN} `)).toEqual({
      id: 'tools-abcde12345',
      arn: { partition: 'aws', region: 'ap-northeast-1', account: '123456789012', value: ARN },
    });
    expect(parseGatewayRef('tools-abcde12345')).toEqual({ id: 'tools-abcde12345' });
    expect(gatewayUrlFor('tools-abcde12345', 'ap-northeast-1')).toBe(URL_OF_ARN);
    expect(gatewayUrlFor('g-abcde12345', 'cn-north-1', 'aws-cn')).toBe(
      'https://g-abcde12345.gateway.bedrock-agentcore.cn-north-1.amazonaws.com.cn/mcp',
    );
    expect(checkGatewayUrl(URL_OF_ARN)).toBe(URL_OF_ARN);
    expect(JSON.stringify(gatewayMcpConfig(URL_OF_ARN))).toBe(
      `{"mcpServers":{"gateway":{"type":"http","url":"${URL_OF_ARN}","auth":{"type":"aws_iam"}}}}`,
    );
  });
});

describe('the API stack beside a gateway', () => {
  const lambdaEnv = (opts: BuildAppOptions) => {
    const { api } = stacksOf(buildApp({ ...opts, api: true }));
    const fn = Object.values(ofType(Template.fromStack(api!).toJSON(), 'AWS::Lambda::Function'))[0];
    return fn.Properties.Environment.Variables as Record<string, unknown>;
  };

  it("gives the Lambda the runtime's MCP server names (CCA_MCP_SERVERS), not the gateway's URL, and nothing without a gateway", () => {
    const env = lambdaEnv({ gateway: { mode: 'create' } });
    expect(env.CCA_MCP_SERVERS).toBe('gateway');
    expect(env.CCA_MCP_CONFIG).toBeUndefined();
    expect(lambdaEnv({}).CCA_MCP_SERVERS).toBeUndefined();
  });
});
