/**
 * The runtime's tracing and log configuration, by synthesis: vended-log deliveries of the runtime
 * (application and usage logs to a log group with a retention, traces to X-Ray), and none without
 * the runtime.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AgentStack } from './agent-stack.js';
import { buildApp, stacksOf } from './app.js';

type Resources = Record<string, { Type: string; Properties: any; DependsOn?: string[]; DeletionPolicy?: string }>;

function template(opts: Parameters<typeof buildApp>[0] = {}): { Resources: Resources; Outputs: Record<string, any> } {
  return Template.fromStack(stacksOf(buildApp(opts)).agent).toJSON() as { Resources: Resources; Outputs: Record<string, any> };
}

const ofType = (all: Resources, type: string) => Object.entries(all).filter(([, r]) => r.Type === type);
const RUNTIME_ARN = { 'Fn::GetAtt': ['Runtime', 'AgentRuntimeArn'] };

describe('AgentStack: runtime observability', () => {
  const { Resources: all, Outputs: outputs } = template();
  const [logGroupId, logGroup] = ofType(all, 'AWS::Logs::LogGroup')[0]!;
  const sources = Object.fromEntries(
    ofType(all, 'AWS::Logs::DeliverySource').map(([id, r]) => [r.Properties.LogType as string, { id, r }]),
  );
  const destinations = Object.fromEntries(ofType(all, 'AWS::Logs::DeliveryDestination'));
  const deliveries = ofType(all, 'AWS::Logs::Delivery').map(([, r]) => r.Properties);

  it('keeps application and usage logs 30 days in a /aws/vendedlogs/ group of the stack, deleted with it', () => {
    expect(ofType(all, 'AWS::Logs::LogGroup')).toHaveLength(1);
    expect(logGroup.Properties).toEqual({
      LogGroupName: '/aws/vendedlogs/bedrock-agentcore/claude-code-agent-stack/runtime',
      RetentionInDays: 30,
    });
    expect(logGroup.DeletionPolicy).toBe('Delete');
  });

  it('has one delivery source per log type, each of the runtime', () => {
    expect(Object.keys(sources).sort()).toEqual(['APPLICATION_LOGS', 'TRACES', 'USAGE_LOGS']);
    for (const { r } of Object.values(sources)) expect(r.Properties.ResourceArn).toEqual(RUNTIME_ARN);
  });

  it('delivers APPLICATION_LOGS and USAGE_LOGS to the log group and TRACES to X-Ray', () => {
    const target = (logType: string) => {
      const delivery = deliveries.find((d) => d.DeliverySourceName.Ref === sources[logType]!.id);
      const destinationId = delivery?.DeliveryDestinationArn['Fn::GetAtt'][0] as string;
      return destinations[destinationId]!.Properties;
    };
    expect(deliveries).toHaveLength(3);
    for (const logType of ['APPLICATION_LOGS', 'USAGE_LOGS']) {
      expect(target(logType)).toMatchObject({
        DeliveryDestinationType: 'CWL',
        DestinationResourceArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
      });
    }
    expect(target('TRACES').DeliveryDestinationType).toBe('XRAY');
    expect(target('TRACES').DestinationResourceArn).toBeUndefined();
  });

  it("lets X-Ray take spans delivered for this runtime only, before the traces' destination exists; spends no CloudWatch Logs resource policy", () => {
    const [policyId, policy] = ofType(all, 'AWS::XRay::ResourcePolicy')[0]!;
    expect(ofType(all, 'AWS::XRay::ResourcePolicy')).toHaveLength(1);
    const join = policy.Properties.PolicyDocument['Fn::Join'][1] as unknown[];
    const document = JSON.parse(
      join
        .map((p) =>
          typeof p === 'string'
            ? p
            : JSON.stringify(p) === JSON.stringify(RUNTIME_ARN)
              ? '<runtime>'
              : `<${Object.values(p as object)[0]}>`,
        )
        .join(''),
    );
    expect(document.Statement).toEqual([
      {
        Sid: 'RuntimeTraceDelivery',
        Effect: 'Allow',
        Principal: { Service: 'delivery.logs.amazonaws.com' },
        Action: 'xray:PutTraceSegments',
        Resource: '*',
        Condition: {
          'ForAllValues:ArnLike': { 'logs:LogGeneratingResourceArns': ['<runtime>'] },
          StringEquals: { 'aws:SourceAccount': '<AWS::AccountId>' },
          ArnLike: { 'aws:SourceArn': 'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:delivery-source:*' },
        },
      },
    ]);
    const tracesDestination = Object.entries(destinations).find(([, d]) => d.Properties.DeliveryDestinationType === 'XRAY')![1];
    expect(tracesDestination.DependsOn).toEqual([policyId]);
    expect(ofType(all, 'AWS::Logs::ResourcePolicy')).toEqual([]);
  });

  it('names every delivery resource uniquely within the 60 characters CloudWatch Logs allows', () => {
    const names = [...ofType(all, 'AWS::Logs::DeliverySource'), ...ofType(all, 'AWS::Logs::DeliveryDestination')].map(
      ([, r]) => r.Properties.Name as string,
    );
    expect(names).toHaveLength(6);
    expect(new Set(names).size).toBe(6);
    for (const name of names) expect(name).toMatch(/^[\w-]{1,60}$/);
    expect(names.every((n) => n.startsWith('claudecodeagentstack'))).toBe(true);
  });

  it('outputs the log group for the operator', () => {
    expect(outputs.ApplicationLogGroup.Value).toEqual({ Ref: logGroupId });
  });

  it('exists only with the runtime, and observability: false leaves it out', () => {
    const phase1 = template({ deployRuntime: false }).Resources;
    const off = Template.fromStack(new AgentStack(new App(), 'NoObs', { observability: false })).toJSON().Resources as Resources;
    for (const r of [phase1, off]) {
      for (const type of ['AWS::Logs::LogGroup', 'AWS::Logs::DeliverySource', 'AWS::Logs::Delivery', 'AWS::XRay::ResourcePolicy']) {
        expect(ofType(r, type), type).toEqual([]);
      }
    }
    expect(ofType(off, 'AWS::BedrockAgentCore::Runtime')).toHaveLength(1);
  });
});
