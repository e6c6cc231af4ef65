/**
 * The CDK app `cca deploy` hands to the CDK CLI: its context parsing, and the real CDK CLI
 * synthesizing it with the exact context arguments `cca deploy` passes (nothing is sent to AWS).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { appOptions } from './cdk-app.js';
import { contextArgs, type CdkAppContext } from './cdk-context.js';
import { cdkPaths } from './cdk.js';
import { defaultRepoRoot } from './repo-root.js';

const run = promisify(execFile);

describe('cdk-app', () => {
  it('maps the -c context to buildApp options (strings from the command line, typed)', () => {
    const context: Record<string, string> = {
      region: 'us-west-2',
      stackName: 'mine',
      deployRuntime: 'false',
      imageTag: 'v7',
      emptyOnDestroy: 'true',
    };
    expect(appOptions((k) => context[k], {})).toEqual({
      region: 'us-west-2',
      stackName: 'mine',
      apiStackName: 'claude-code-agent-api-stack',
      deployRuntime: false,
      api: false,
      emptyOnDestroy: true,
      imageTag: 'v7',
    });
    expect(appOptions(() => undefined, { CDK_DEFAULT_REGION: 'eu-west-1' })).toMatchObject({
      region: 'eu-west-1',
      deployRuntime: true,
      api: false,
    });
    expect(() => appOptions((k) => (k === 'deployRuntime' ? 'yes' : undefined), {})).toThrow(
      'context deployRuntime must be true or false; got "yes".',
    );
  });

  it('maps the gateway context: gateway=true creates one, gatewayArn (and gatewayUrl) attach one, never both', () => {
    const arn = 'arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/tools-abcde12345';
    const url = 'https://tools.example.com/mcp';
    const options = (context: Record<string, string>) => appOptions((k) => context[k], {});
    expect(options({}).gateway).toBeUndefined();
    expect(options({ gateway: 'false' }).gateway).toBeUndefined();
    expect(options({ gateway: 'true' }).gateway).toEqual({ mode: 'create' });
    expect(options({ gatewayArn: arn }).gateway).toEqual({ mode: 'attach', ref: arn });
    expect(options({ gatewayArn: arn, gatewayUrl: url }).gateway).toEqual({ mode: 'attach', ref: arn, url });
    expect(() => options({ gateway: 'true', gatewayArn: arn })).toThrow('give one of them');
    expect(() => options({ gatewayUrl: url })).toThrow('context gatewayUrl needs gatewayArn');
    expect(() => options({ gateway: 'yes' })).toThrow('context gateway must be true or false; got "yes".');
    // What cca passes is what the app reads back.
    const base = { region: 'us-east-1', stackName: 's', apiStackName: 'a', deployRuntime: true, deployApi: false };
    expect(contextArgs({ ...base, gatewayArn: arn, gatewayUrl: url })).toEqual([
      ...contextArgs(base),
      '-c',
      `gatewayArn=${arn}`,
      '-c',
      `gatewayUrl=${url}`,
    ]);
    expect(contextArgs({ ...base, gateway: true }).slice(-2)).toEqual(['-c', 'gateway=true']);
  });

  describe('synthesized by the real CDK CLI', () => {
    const repo = defaultRepoRoot();
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-cdk-app-'));
    afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

    // The same app as dist/cli/aws/cdk-app.js, run from source through tsx.
    const app = `node --import ${pathToFileURL(path.join(repo, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href} ${JSON.stringify(path.join(repo, 'src', 'cli', 'aws', 'cdk-app.ts'))}`;
    const synth = async (name: string, context: CdkAppContext) => {
      const dir = path.join(out, name);
      await run(cdkPaths(repo).cli, ['synth', context.stackName, '--app', app, '--output', dir, '--quiet', ...contextArgs(context)], {
        cwd: out,
        env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
      });
      return JSON.parse(fs.readFileSync(path.join(dir, `${context.stackName}.template.json`), 'utf8')) as {
        Resources: Record<string, { Type: string; Properties?: unknown }>;
      };
    };

    it('phase 1 has bucket, repository, role (and the gateway) but no runtime; phase 2 adds the runtime running the tag, pointed at the gateway', async () => {
      const base = {
        region: 'us-east-1',
        stackName: 'cca-phase-test',
        apiStackName: 'cca-phase-test-api',
        deployApi: false,
        imageTag: '20250601-180000-ab12cd3',
        gateway: true,
      };
      const [phase1, phase2] = await Promise.all([
        synth('phase1', { ...base, deployRuntime: false }),
        synth('phase2', { ...base, deployRuntime: true }),
      ]);
      const types = (t: typeof phase1) => Object.values(t.Resources).map((r) => r.Type);
      expect(types(phase1)).toEqual(
        expect.arrayContaining(['AWS::S3::Bucket', 'AWS::ECR::Repository', 'AWS::IAM::Role', 'AWS::BedrockAgentCore::Gateway']),
      );
      expect(types(phase1)).not.toContain('AWS::BedrockAgentCore::Runtime');
      const runtime = Object.values(phase2.Resources).find((r) => r.Type === 'AWS::BedrockAgentCore::Runtime');
      expect(JSON.stringify(runtime?.Properties)).toContain(':20250601-180000-ab12cd3');
      // The -c gateway=true that cca passes reaches the runtime's environment.
      expect(JSON.stringify(runtime?.Properties)).toMatch(/CCA_MCP_CONFIG.*mcpServers.*GatewayUrl/);
    }, 120_000);
  });
});
