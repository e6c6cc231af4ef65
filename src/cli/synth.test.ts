import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { synthCommand } from './entries.js';
import type { CliIo } from './io.js';

let dir: string;
let lambdaCodeDir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-synth-cli-'));
  // A stand-in for dist/lambda: tests never write under src/ or dist/.
  lambdaCodeDir = path.join(dir, 'lambda');
  fs.mkdirSync(lambdaCodeDir);
  fs.writeFileSync(path.join(lambdaCodeDir, 'index.mjs'), 'export const handler = async () => ({ statusCode: 200, body: "{}" });\n');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(args: string[], env: NodeJS.ProcessEnv = {}, codeDir: string = lambdaCodeDir) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) };
  const code = await synthCommand(args, env, io, { cwd: dir, lambdaCodeDir: codeDir });
  return { code, stdout, stderr };
}

const template = (file: string) =>
  JSON.parse(fs.readFileSync(file, 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: any }>;
    Outputs: Record<string, any>;
  };

describe('cca synth', () => {
  it('--api --out DIR writes both templates and says where', async () => {
    const { code, stdout, stderr } = await run(['--api', '--out', 'cdk.out']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = path.join(dir, 'cdk.out');
    const agentFile = path.join(out, 'claude-code-agent-stack.template.json');
    const apiFile = path.join(out, 'claude-code-agent-api-stack.template.json');
    expect(stdout).toBe(
      `Wrote 2 CloudFormation templates to ${out}:\n  ${agentFile}\n  ${apiFile}\nDeploy them with: npx cdk deploy --app ${out} --all\n`,
    );
    expect(Object.values(template(agentFile).Resources).some((r) => r.Type === 'AWS::BedrockAgentCore::Runtime')).toBe(true);
    expect(Object.keys(template(apiFile).Outputs).sort()).toEqual(['ApiEndpoint', 'ApiId', 'ApiKeyId', 'FunctionName']);
  });

  it('without --api writes the agent stack only; --region, --model and --image-tag reach the template', async () => {
    const { code } = await run([
      '--out',
      'o',
      '--region',
      'eu-west-1',
      '--model',
      'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
      '--image-tag',
      'v7',
    ]);
    expect(code).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'o')).filter((f) => f.endsWith('.template.json'))).toEqual([
      'claude-code-agent-stack.template.json',
    ]);
    const t = template(path.join(dir, 'o', 'claude-code-agent-stack.template.json'));
    const runtime = Object.values(t.Resources).find((r) => r.Type === 'AWS::BedrockAgentCore::Runtime')!.Properties;
    expect(runtime.EnvironmentVariables).toMatchObject({
      AWS_REGION: 'eu-west-1',
      CCA_MODEL: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
    });
    expect(JSON.stringify(runtime.AgentRuntimeArtifact)).toContain(':v7"');
  });

  it('takes the region from AWS_REGION when no flag names one, and defaults to ap-northeast-1', async () => {
    expect((await run(['--out', 'a'], { AWS_REGION: 'us-west-2' })).code).toBe(0);
    expect(template(path.join(dir, 'a', 'claude-code-agent-stack.template.json')).Outputs.Region.Value).toBe('us-west-2');
    expect((await run(['--out', 'b'])).code).toBe(0);
    expect(template(path.join(dir, 'b', 'claude-code-agent-stack.template.json')).Outputs.Region.Value).toBe('ap-northeast-1');
  });

  it('bad usage exits 2 with a message; a missing Lambda bundle exits 1 saying to build', async () => {
    expect(await run(['--bogus'])).toMatchObject({ code: 2, stderr: expect.stringContaining("Unknown option '--bogus'") });
    expect(await run(['--region', 'mars-1'])).toMatchObject({ code: 2, stderr: expect.stringContaining('region must be an AWS region') });
    expect(await run(['--model', 'anthropic.*'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('modelId must be a Bedrock model id'),
    });
    const noBundle = await run(['--api', '--out', 'c'], {}, path.join(dir, 'nothing-here'));
    expect(noBundle.code).toBe(1);
    expect(noBundle.stderr).toMatch(/index\.mjs is missing: run "npm run build" first/);
  });

  it('--gateway adds the gateway and points the runtime at it; --gateway-arn attaches one; together they are refused', async () => {
    const created = await run(['--gateway', '--out', 'g']);
    expect(created.code).toBe(0);
    const t = template(path.join(dir, 'g', 'claude-code-agent-stack.template.json'));
    expect(Object.values(t.Resources).filter((r) => r.Type === 'AWS::BedrockAgentCore::Gateway')).toHaveLength(1);
    expect(Object.keys(t.Outputs)).toEqual(expect.arrayContaining(['GatewayUrl', 'GatewayArn', 'GatewayId', 'GatewayRoleArn']));

    const arn = 'arn:aws:bedrock-agentcore:ap-northeast-1:123456789012:gateway/tools-abcde12345';
    expect((await run(['--gateway-arn', arn, '--gateway-url', 'https://tools.example.com/mcp', '--out', 'h'])).code).toBe(0);
    const attached = template(path.join(dir, 'h', 'claude-code-agent-stack.template.json'));
    const runtime = Object.values(attached.Resources).find((r) => r.Type === 'AWS::BedrockAgentCore::Runtime')!.Properties;
    expect(JSON.parse(runtime.EnvironmentVariables.CCA_MCP_CONFIG)).toEqual({
      mcpServers: { gateway: { type: 'http', url: 'https://tools.example.com/mcp', auth: { type: 'aws_iam' } } },
    });

    expect(await run(['--gateway', '--gateway-arn', arn])).toMatchObject({ code: 2, stderr: expect.stringContaining('give one of them') });
    expect(await run(['--gateway-url', 'https://x.example.com/mcp'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('needs --gateway-arn'),
    });
    expect(await run(['--gateway-arn', 'nope'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('gateway must be an AgentCore Gateway ARN'),
    });
  });

  it('--help prints the usage', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: cca synth \[--api\]/);
  });
});
