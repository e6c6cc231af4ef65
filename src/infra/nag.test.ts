import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, stacksOf, type BuildAppOptions } from './app.js';

const lambdaCodeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-lambda-'));
fs.writeFileSync(path.join(lambdaCodeDir, 'index.mjs'), 'export const handler = async () => ({ statusCode: 200, body: "{}" });\n');
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of [lambdaCodeDir, ...outdirs]) fs.rmSync(dir, { recursive: true, force: true });
});

function app(opts: BuildAppOptions = {}): App {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-nag-'));
  outdirs.push(outdir);
  return buildApp({ lambdaCodeDir, outdir, ...opts });
}

/** AwsSolutions findings left after acknowledgements, split by severity. */
function findings(target: App): { errors: string[]; warnings: string[] } {
  const report = new AwsSolutionsChecks(target).validateScope(target);
  const list = (severity: string) =>
    report.violations
      .filter((v) => v.severity === severity)
      .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
  return { errors: list('error'), warnings: list('warning') };
}

/** Every acknowledgement recorded in the tree: finding id → reason. */
function acknowledgements(root: IConstruct): Map<string, string> {
  const all = new Map<string, string>();
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) all.set(id.replace(/^annotation::/i, ''), reason);
    }
  }
  return all;
}

const VARIANTS: Array<[string, BuildAppOptions]> = [
  ['defaults', {}],
  ['with the API', { api: true }],
  ['phase 1 (deployRuntime: false)', { deployRuntime: false }],
  ['emptyOnDestroy', { emptyOnDestroy: true, api: true }],
  ['without session storage', { sessionStorage: false, api: true }],
  [
    'us-east-1, another model, a storage prefix',
    { region: 'us-east-1', modelId: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0', storagePrefix: 'team-a', api: true },
  ],
  ['with a gateway it creates (and the API)', { gateway: { mode: 'create' }, api: true }],
  ['phase 1 with a gateway', { gateway: { mode: 'create' }, deployRuntime: false }],
  [
    'with a gateway it attaches, in another region',
    { gateway: { mode: 'attach', ref: 'arn:aws:bedrock-agentcore:us-west-2:123456789012:gateway/tools-abcde12345' } },
  ],
];

describe('cdk-nag AwsSolutions', () => {
  it.each(VARIANTS)('%s: no unacknowledged error or warning, and CDK itself warns of nothing', (_name, opts) => {
    const built = app(opts);
    expect(findings(built)).toEqual({ errors: [], warnings: [] });
    built.synth();
    for (const stack of built.node.children.filter(Stack.isStack)) {
      const annotations = Annotations.fromStack(stack);
      expect(annotations.findError('*', Match.anyValue())).toEqual([]);
      expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
    }
  });

  it('runs on synthesis as a validation plugin: an unacknowledged finding fails it', () => {
    const built = app();
    new s3.Bucket(stacksOf(built).agent, 'Unlogged', { enforceSSL: true });
    expect(findings(built).errors).toEqual([`AwsSolutions-S1 at claude-code-agent-stack/Unlogged/Resource`]);
    expect(() => built.synth()).toThrow(/AwsSolutions-S1/);
  });

  it('acknowledges wildcards one by one: a new wildcard on the execution role is still reported', () => {
    const built = app();
    stacksOf(built).agent.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::elsewhere/*'] }),
    );
    expect(findings(built).errors).toEqual([
      'AwsSolutions-IAM5[Resource::arn:aws:s3:::elsewhere/*] at claude-code-agent-stack/ExecutionRole/DefaultPolicy/Resource',
    ]);
  });

  it('has exactly these acknowledgements, each with a reason', () => {
    const acks = acknowledgements(app({ api: true }));
    // Logical ids carry a hash: compare without it.
    const ids = [...acks.keys()].map((id) => id.replace(/<ArtifactsBucket\w+\.Arn>/, '<ArtifactsBucket.Arn>'));
    expect(ids.sort()).toEqual(
      [
        'AwsSolutions-S1',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0]',
        'AwsSolutions-IAM5[Resource::<ArtifactsBucket.Arn>/outputs/*]',
        'AwsSolutions-IAM5[Resource::<ArtifactsBucket.Arn>/sessions/*]',
        'AwsSolutions-IAM5[Resource::<ArtifactsBucket.Arn>/inputs/*]',
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/bedrock-agentcore/runtimes/*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/bedrock-agentcore/runtimes/*:log-stream:*]',
        'AwsSolutions-IAM5[Resource::claude-code-agent-stack-RuntimeArn/runtime-endpoint/*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::claude-code-agent-stack-BucketName/sessions/*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::claude-code-agent-stack-BucketName/sessions/*/owner.json]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::claude-code-agent-stack-BucketName/sessions/*/state.json]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::claude-code-agent-stack-BucketName/sessions/*/invocations/*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::claude-code-agent-stack-BucketName/sessions/*/events/*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::claude-code-agent-stack-BucketName/owners/*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::claude-code-agent-stack-BucketName/owners/*/active/*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::claude-code-agent-stack-BucketName/outputs/*]',
        'AwsSolutions-L1',
        'AwsSolutions-APIG3',
        'AwsSolutions-APIG4',
        'AwsSolutions-COG4',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      ].sort(),
    );
    for (const [id, reason] of acks) expect(reason.length, id).toBeGreaterThan(40);
    // "*" serves three statements: each one's reason is kept.
    expect(acks.get('AwsSolutions-IAM5[Resource::*]')).toMatch(/GetAuthorizationToken[\s\S]*X-Ray[\s\S]*PutMetricData/);
    // So do the runtime's endpoints, for invoking and for stopping a session.
    expect(acks.get('AwsSolutions-IAM5[Resource::claude-code-agent-stack-RuntimeArn/runtime-endpoint/*]')).toMatch(
      /InvokeAgentRuntime[\s\S]*StopRuntimeSession/,
    );
    // The execution role's sessions/ wildcard is read and write only: no delete, no listing.
    const sessionsAck = [...acks].find(([id]) => /^AwsSolutions-IAM5\[Resource::<ArtifactsBucket\w+\.Arn>\/sessions\/\*\]$/.test(id));
    expect(sessionsAck?.[1]).toMatch(/read and write only \(no delete, no listing\)/);
    // The gateway (its service role, the execution role's grant) and the runtime's deliveries need none.
    expect(acknowledgements(app({ api: true, gateway: { mode: 'create' } }))).toEqual(acks);
    // The Lambda deletes only run-cap marks, and its acknowledgement says so.
    expect(acks.get('AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::claude-code-agent-stack-BucketName/owners/*/active/*]')).toMatch(
      /DeleteObject there only/,
    );
  });
});
