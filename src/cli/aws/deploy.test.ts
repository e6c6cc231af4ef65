/**
 * `cca deploy` and `cca deploy-api`. The control-plane calls (CloudFormation, ECR's authorization
 * token, AgentCore control) go to aws-sdk-client-mock: they have no local peer. docker, cdk and
 * git go to a recording runner: there is no Docker engine (or AWS account) here. The tests assert
 * the exact commands, their order, and what lands in deployment.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BedrockAgentCoreControlClient, GetAgentRuntimeCommand, GetGatewayCommand } from '@aws-sdk/client-bedrock-agentcore-control';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { argAfter, fakeCheckout, recordingIo, recordingRunner, type Script } from '../../../test/support/aws-fakes.js';
import type { CommandDeps as AwsDeps } from '../context.js';
import { deployCommand } from '../entries.js';
import { deployApiCommand } from '../entries.js';
import { readDeployment } from './deployment.js';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
const REPO_URI = `${REGISTRY}/claude-code-agent-stack-repo`;
const RUNTIME_ID = 'claude_code_agent_stack-AbCdEf1234';
const RUNTIME_ARN = `arn:aws:bedrock-agentcore:${REGION}:${ACCOUNT}:runtime/${RUNTIME_ID}`;
const MODEL = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const NOW = new Date('2025-06-01T18:00:00.000Z');
const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };

const missing = (name: string) => Object.assign(new Error(`Stack with id ${name} does not exist`), { name: 'ValidationError' });
const APP = 'node "<repo>/dist/cli/aws/cdk-app.js"';
const common = `--app ${APP} --output <work>/cdk.out`;
const ctx = (runtime: boolean, api: boolean, tag: string) =>
  `-c region=${REGION} -c stackName=claude-code-agent-stack -c apiStackName=claude-code-agent-api-stack -c deployRuntime=${runtime} -c deployApi=${api} -c imageTag=${tag}`;
const deployLine = (stack: string, runtime: boolean, api: boolean, tag: string, extra = '') =>
  `cdk deploy ${stack} ${common} --require-approval never --outputs-file <work>/${stack}.outputs.json${extra} ${ctx(runtime, api, tag)}`;

const GATEWAY_ID = 'claude-code-agent-stack-gateway-abcde12345';
const GATEWAY_ARN = `arn:aws:bedrock-agentcore:${REGION}:${ACCOUNT}:gateway/${GATEWAY_ID}`;
const GATEWAY_URL = `https://${GATEWAY_ID}.gateway.bedrock-agentcore.${REGION}.amazonaws.com/mcp`;
const TOOLS_ID = 'tools-fghij67890';
const TOOLS_ARN = `arn:aws:bedrock-agentcore:${REGION}:${ACCOUNT}:gateway/${TOOLS_ID}`;
const TOOLS_URL = `https://${TOOLS_ID}.gateway.bedrock-agentcore.${REGION}.amazonaws.com/mcp`;

/** The gateway outputs the agent stack has with the gateway context cca passed (as the CDK app makes them). */
function gatewayOutputs(args: string[]): Record<string, string> {
  if (args.includes('gateway=true')) {
    return { GatewayUrl: GATEWAY_URL, GatewayArn: GATEWAY_ARN, GatewayId: GATEWAY_ID, GatewayRoleArn: `arn:aws:iam::${ACCOUNT}:role/gw` };
  }
  const arn = args.find((a) => a.startsWith('gatewayArn='))?.slice('gatewayArn='.length);
  const url = args.find((a) => a.startsWith('gatewayUrl='))?.slice('gatewayUrl='.length);
  return arn === undefined ? {} : { GatewayArn: arn, GatewayUrl: url ?? '', GatewayId: arn.split('/').at(-1) as string };
}

/** cdk writes the stack's outputs where --outputs-file says, as the CDK CLI does. */
function cdkOutputs(args: string[]): void {
  const file = argAfter(args, '--outputs-file');
  const stack = args[1] as string;
  if (file === undefined) return;
  const phase2 = args.includes('deployRuntime=true');
  const outputs =
    stack === 'claude-code-agent-api-stack'
      ? { ApiEndpoint: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod/', ApiKeyId: 'key123', ApiId: 'abc123', FunctionName: 'fn' }
      : {
          BucketName: 'cca-bucket',
          RepositoryUri: REPO_URI,
          RepositoryName: 'claude-code-agent-stack-repo',
          RoleArn: `arn:aws:iam::${ACCOUNT}:role/r`,
          Region: REGION,
          ...(phase2 ? { RuntimeArn: RUNTIME_ARN, RuntimeId: RUNTIME_ID, ModelId: MODEL } : {}),
          ...gatewayOutputs(args),
        };
  fs.writeFileSync(file, JSON.stringify({ [stack]: outputs }));
}

/** The tools all work: buildx is there, git knows the commit, cdk writes outputs. */
const happy: Script = ({ command, args }) => {
  if (command === 'docker' && args[0] === 'buildx' && args[1] === 'version')
    return { stdout: 'github.com/docker/buildx v0.17.1 257815a\n' };
  if (command === 'git') return { stdout: 'ab12cd3\n' };
  if (args[0] === 'deploy') cdkOutputs(args);
  return undefined;
};

describe('cca deploy', () => {
  let repo: string;
  let cwd: string;
  let cfn: ReturnType<typeof mockClient>;
  let ecr: ReturnType<typeof mockClient>;
  let control: ReturnType<typeof mockClient>;
  let clients: AwsDeps['clients'];
  let sleeps: number[];

  beforeEach(() => {
    repo = fakeCheckout();
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-deploy-cwd-'));
    const made = {
      cloudFormation: new CloudFormationClient({ region: REGION, credentials }),
      ecr: new ECRClient({ region: REGION, credentials }),
      agentCoreControl: new BedrockAgentCoreControlClient({ region: REGION, credentials }),
    };
    cfn = mockClient(made.cloudFormation);
    // CloudFormation's answer for any stack a test does not deploy: it does not exist.
    cfn.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => Promise.reject(missing(input.StackName)));
    ecr = mockClient(made.ecr);
    control = mockClient(made.agentCoreControl);
    clients = made;
    ecr.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [{ authorizationToken: Buffer.from('AWS:ecr-password').toString('base64'), proxyEndpoint: `https://${REGISTRY}` }],
    });
    control
      .on(GetAgentRuntimeCommand)
      .resolvesOnce({ status: 'CREATING' })
      .resolvesOnce({ status: 'CREATING' })
      .resolves({ status: 'READY' });
    sleeps = [];
  });
  afterEach(() => {
    fs.rmSync(repo, { recursive: true, force: true });
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  const bootstrappedAlready = () =>
    cfn
      .on(DescribeStacksCommand, { StackName: 'CDKToolkit' })
      .resolves({ Stacks: [{ StackName: 'CDKToolkit', StackStatus: 'CREATE_COMPLETE', CreationTime: NOW }] });

  const deps = (run: AwsDeps['run']): AwsDeps => ({
    clients,
    run,
    cwd,
    repoRoot: repo,
    now: () => NOW,
    sleep: async (ms) => void sleeps.push(ms),
  });

  it('bootstraps a fresh environment, deploys phase 1, pushes the ARM64 image, deploys the runtime, waits for READY, deploys the API and writes deployment.json', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'CDKToolkit' }).rejects(missing('CDKToolkit'));
    const { run, calls } = recordingRunner(repo, happy);
    const io = recordingIo();
    const code = await deployCommand(['--api', '--region', REGION], {}, io, deps(run));
    expect(io.err).not.toContain('cca:');
    expect(code).toBe(0);

    const tag = '20250601-180000-ab12cd3';
    expect(calls.map((c) => c.line)).toEqual([
      'git rev-parse --short HEAD',
      'docker buildx version',
      `cdk bootstrap aws://${ACCOUNT}/${REGION}`,
      deployLine('claude-code-agent-stack', false, false, tag),
      `docker login --username AWS --password-stdin ${REGISTRY}`,
      `docker buildx build --platform linux/arm64 -t ${REPO_URI}:${tag} --push <repo>`,
      deployLine('claude-code-agent-stack', true, false, tag),
      deployLine('claude-code-agent-api-stack', true, true, tag, ' --exclusively'),
    ]);
    // The registry password goes through stdin, never the command line.
    expect(calls[4]?.input).toBe('ecr-password');
    expect(calls.some((c) => c.args.includes('ecr-password'))).toBe(false);
    // Every cdk run works in the scratch directory, not where the user is.
    expect(calls.filter((c) => c.command === 'cdk').every((c) => c.cwd === '<work>')).toBe(true);

    // Polled until READY: CREATING twice, 5 s apart.
    expect(control.commandCalls(GetAgentRuntimeCommand).map((c) => c.args[0].input)).toEqual(Array(3).fill({ agentRuntimeId: RUNTIME_ID }));
    expect(sleeps).toEqual([5000, 5000]);

    expect(JSON.parse(fs.readFileSync(path.join(cwd, 'deployment.json'), 'utf8'))).toEqual({
      region: REGION,
      stack: 'claude-code-agent-stack',
      api_stack: 'claude-code-agent-api-stack',
      bucket: 'cca-bucket',
      repository_uri: REPO_URI,
      runtime_arn: RUNTIME_ARN,
      runtime_id: RUNTIME_ID,
      model_id: MODEL,
      image_tag: tag,
      api_endpoint: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod/',
      api_key_id: 'key123',
      deployed_at: NOW.toISOString(),
    });
    expect(io.out.match(/^\[\d\/7\] .*/gm)).toEqual([
      '[1/7] Checking prerequisites: Docker buildx, the CDK app, AWS credentials',
      '[2/7] Deploying claude-code-agent-stack, phase 1: artifact bucket, image repository, execution role',
      `[3/7] Building and pushing the ARM64 image ${REPO_URI}:${tag}`,
      `[4/7] Deploying claude-code-agent-stack, phase 2: the AgentCore Runtime running ${tag}`,
      `[5/7] Waiting for the runtime ${RUNTIME_ID} to be READY`,
      '[6/7] Deploying claude-code-agent-api-stack: API Gateway, Lambda, API key, usage plan',
      '[7/7] Writing deployment.json',
    ]);
    expect(io.out).toContain(`Bootstrapping CDK in aws://${ACCOUNT}/${REGION}`);
    expect(io.out).toContain('status: CREATING\n      status: READY');
    expect(io.out).toContain('api:      https://abc123.execute-api.us-east-1.amazonaws.com/prod/invoke');
    expect(io.out).toContain('cca invoke "Create a hello world Python script" --runtime');
  });

  it('skips bootstrap when CDKToolkit exists, but bootstraps and retries once when cdk says the bootstrap stack is too old', async () => {
    cfn
      .on(DescribeStacksCommand, { StackName: 'CDKToolkit' })
      .resolves({ Stacks: [{ StackName: 'CDKToolkit', StackStatus: 'UPDATE_COMPLETE', CreationTime: NOW }] });
    let deploys = 0;
    const { run, calls } = recordingRunner(repo, (call) => {
      if (call.args[0] === 'deploy' && ++deploys === 1) {
        return {
          code: 1,
          stderr:
            "claude-code-agent-stack: This CDK deployment requires bootstrap stack version '6', found '5'. Please run 'cdk bootstrap'.\n",
        };
      }
      return happy(call);
    });
    const io = recordingIo();
    expect(await deployCommand(['--image-tag', 'v1', '--model', MODEL], { AWS_REGION: REGION }, io, deps(run))).toBe(0);
    const withModel = (runtime: boolean) => `${deployLine('claude-code-agent-stack', runtime, false, 'v1')} -c modelId=${MODEL}`;
    expect(calls.map((c) => c.line)).toEqual([
      'docker buildx version',
      withModel(false),
      `cdk bootstrap aws://${ACCOUNT}/${REGION}`,
      withModel(false),
      `docker login --username AWS --password-stdin ${REGISTRY}`,
      `docker buildx build --platform linux/arm64 -t ${REPO_URI}:v1 --push <repo>`,
      withModel(true),
    ]);
    // cdk's own output reaches the user as it comes.
    expect(io.err).toContain("requires bootstrap stack version '6'");
    const written = readDeployment(cwd);
    expect(written?.image_tag).toBe('v1');
    expect(written?.api_endpoint).toBeUndefined();
    expect(io.out).toContain('cca deploy-api');
  });

  it('stops before touching AWS when Docker is missing and the credentials are refused, naming what to do for each', async () => {
    cfn
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const { run, calls } = recordingRunner(repo, ({ command }) =>
      command === 'docker' ? { code: 127, stderr: 'docker: command not found\n' } : undefined,
    );
    const io = recordingIo();
    expect(await deployCommand(['--image-tag', 'v1'], {}, io, deps(run))).toBe(1);
    expect(calls.map((c) => c.line)).toEqual(['docker buildx version']);
    expect(io.err).toContain('cca: deploy stopped at step 1: missing prerequisites:');
    expect(io.err).toContain('Docker is not installed: install Docker Desktop or Docker Engine with the buildx plugin');
    expect(io.err).toContain('no AWS credentials found');
    expect(io.err).toContain('"aws configure"');
    expect(fs.existsSync(path.join(cwd, 'deployment.json'))).toBe(false);
  });

  it("fails at the wait with the runtime's failure reason and writes no deployment.json", async () => {
    bootstrappedAlready();
    control.on(GetAgentRuntimeCommand).resolves({ status: 'CREATE_FAILED', failureReason: 'image manifest is not arm64' });
    const { run } = recordingRunner(repo, happy);
    const io = recordingIo();
    expect(await deployCommand(['--image-tag', 'v1'], {}, io, deps(run))).toBe(1);
    expect(io.err).toContain(`cca: deploy stopped at step 5: the runtime ${RUNTIME_ID} is CREATE_FAILED: image manifest is not arm64`);
    expect(fs.existsSync(path.join(cwd, 'deployment.json'))).toBe(false);
  });

  it('shows the tail of a failed docker build and stops there', async () => {
    bootstrappedAlready();
    const { run, calls } = recordingRunner(repo, (call) =>
      call.args[0] === 'buildx' && call.args[1] === 'build'
        ? { code: 1, stderr: 'ERROR: failed to solve: no match for platform\n' }
        : happy(call),
    );
    const io = recordingIo();
    expect(await deployCommand(['--image-tag', 'v1'], {}, io, deps(run))).toBe(1);
    expect(io.err).toContain(
      'cca: deploy stopped at step 3: docker buildx build failed (exit 1):\nERROR: failed to solve: no match for platform',
    );
    expect(calls.at(-1)?.line).toContain('docker buildx build');
  });

  it('re-deploying a stack that runs a runtime skips phase 1 (it would delete the runtime) and keeps the API stack in the app', async () => {
    bootstrappedAlready();
    const outputs = (pairs: Record<string, string>) =>
      Object.entries(pairs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue }));
    cfn.on(DescribeStacksCommand, { StackName: 'claude-code-agent-stack' }).resolves({
      Stacks: [
        {
          StackName: 'claude-code-agent-stack',
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: NOW,
          Outputs: outputs({ BucketName: 'cca-bucket', RepositoryUri: REPO_URI, RuntimeArn: RUNTIME_ARN, RuntimeId: RUNTIME_ID }),
        },
      ],
    });
    cfn.on(DescribeStacksCommand, { StackName: 'claude-code-agent-api-stack' }).resolves({
      Stacks: [
        {
          StackName: 'claude-code-agent-api-stack',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: NOW,
          Outputs: outputs({ ApiEndpoint: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod/', ApiKeyId: 'key123' }),
        },
      ],
    });
    const { run, calls } = recordingRunner(repo, happy);
    const io = recordingIo();
    expect(await deployCommand(['--image-tag', 'v2', '--region', REGION], {}, io, deps(run))).toBe(0);
    expect(calls.map((c) => c.line)).toEqual([
      'docker buildx version',
      `docker login --username AWS --password-stdin ${REGISTRY}`,
      `docker buildx build --platform linux/arm64 -t ${REPO_URI}:v2 --push <repo>`,
      deployLine('claude-code-agent-stack', true, true, 'v2'),
    ]);
    expect(io.out).toContain('skipped: claude-code-agent-stack is deployed with its runtime (UPDATE_COMPLETE); phase 2 updates it');
    // The API stays in the record although --api was not given this time.
    expect(readDeployment(cwd)).toMatchObject({ image_tag: 'v2', api_stack: 'claude-code-agent-api-stack', api_key_id: 'key123' });
  });

  it('refuses bad flags with status 2 before running anything', async () => {
    const { run, calls } = recordingRunner(repo, happy);
    const io = recordingIo();
    expect(await deployCommand(['--image-tag', 'bad tag!'], {}, io, deps(run))).toBe(2);
    expect(io.err).toContain('--image-tag must be a Docker tag');
    expect(await deployCommand(['--model', 'arn:aws:bedrock:*'], {}, io, deps(run))).toBe(2);
    expect(await deployCommand(['--region', 'mars'], {}, io, deps(run))).toBe(2);
    expect(io.err).toContain('--region must be an AWS region');
    expect(calls).toEqual([]);
  });

  it("deploy-api deploys only the API stack in front of deployment.json's runtime and adds its fields", async () => {
    bootstrappedAlready();
    const missingFile = recordingIo();
    expect(await deployApiCommand([], {}, missingFile, deps(recordingRunner(repo, happy).run))).toBe(2);
    expect(missingFile.err).toContain(`no deployment.json in ${cwd}: "cca deploy-api" needs the one "cca deploy" writes`);
    expect(missingFile.err).toContain('cca deploy');

    const first = recordingRunner(repo, happy);
    expect(await deployCommand(['--image-tag', 'v1', '--region', REGION], {}, recordingIo(), deps(first.run))).toBe(0);
    const { run, calls } = recordingRunner(repo, happy);
    const io = recordingIo();
    expect(await deployApiCommand([], {}, io, deps(run))).toBe(0);
    expect(calls.map((c) => c.line)).toEqual([
      `${deployLine('claude-code-agent-api-stack', true, true, 'v1', ' --exclusively')} -c modelId=${MODEL}`,
    ]);
    expect(readDeployment(cwd)).toMatchObject({ api_stack: 'claude-code-agent-api-stack', api_key_id: 'key123', runtime_arn: RUNTIME_ARN });
    expect(io.out).toContain('The API is up: https://abc123.execute-api.us-east-1.amazonaws.com/prod/invoke');
  });

  describe('with an AgentCore Gateway', () => {
    const ctxArgs = (line: string) => line.slice(line.indexOf(' -c '));

    it('--gateway creates it from phase 1 on (-c gateway=true), records it in deployment.json and says how to add tools', async () => {
      bootstrappedAlready();
      const { run, calls } = recordingRunner(repo, happy);
      const io = recordingIo();
      expect(await deployCommand(['--gateway', '--image-tag', 'v1', '--region', REGION], {}, io, deps(run))).toBe(0);
      const deploys = calls.filter((c) => c.args[0] === 'deploy').map((c) => c.line);
      expect(deploys).toEqual([
        `${deployLine('claude-code-agent-stack', false, false, 'v1')} -c gateway=true`,
        `${deployLine('claude-code-agent-stack', true, false, 'v1')} -c gateway=true`,
      ]);
      expect(readDeployment(cwd)).toMatchObject({ gateway_mode: 'created', gateway_arn: GATEWAY_ARN, gateway_url: GATEWAY_URL });
      expect(io.out).toContain(`gateway:  ${GATEWAY_URL} (created; the MCP server "gateway")`);
      expect(io.out).toContain('create-gateway-target');
      // Creating one reads nothing of AgentCore's gateways.
      expect(control.commandCalls(GetGatewayCommand)).toEqual([]);
    });

    it('a later deploy without flags keeps the gateway (dropping it would delete it); --no-gateway removes it', async () => {
      bootstrappedAlready();
      expect(
        await deployCommand(
          ['--gateway', '--image-tag', 'v1', '--region', REGION],
          {},
          recordingIo(),
          deps(recordingRunner(repo, happy).run),
        ),
      ).toBe(0);
      const again = recordingRunner(repo, happy);
      expect(await deployCommand(['--image-tag', 'v2'], {}, recordingIo(), deps(again.run))).toBe(0);
      expect(again.calls.filter((c) => c.args[0] === 'deploy').every((c) => c.line.endsWith(' -c gateway=true'))).toBe(true);
      expect(readDeployment(cwd)?.gateway_mode).toBe('created');

      const off = recordingRunner(repo, happy);
      expect(await deployCommand(['--no-gateway', '--image-tag', 'v3'], {}, recordingIo(), deps(off.run))).toBe(0);
      expect(off.calls.some((c) => c.line.includes('gateway'))).toBe(false);
      const written = readDeployment(cwd);
      expect([written?.gateway_mode, written?.gateway_arn, written?.gateway_url]).toEqual([undefined, undefined, undefined]);
    });

    it('--gateway-arn reads the gateway (GetGateway), passes its full ARN and URL, and records it as attached', async () => {
      bootstrappedAlready();
      control.on(GetGatewayCommand, { gatewayIdentifier: TOOLS_ID }).resolves({
        gatewayArn: TOOLS_ARN,
        gatewayId: TOOLS_ID,
        gatewayUrl: TOOLS_URL,
        status: 'READY',
        name: 'tools',
        authorizerType: 'AWS_IAM',
        protocolType: 'MCP',
        createdAt: NOW,
        updatedAt: NOW,
      });
      const { run, calls } = recordingRunner(repo, happy);
      const io = recordingIo();
      // The bare id is enough: GetGateway gives the ARN.
      expect(await deployCommand(['--gateway-arn', TOOLS_ID, '--image-tag', 'v1', '--region', REGION], {}, io, deps(run))).toBe(0);
      const deploys = calls.filter((c) => c.args[0] === 'deploy').map((c) => ctxArgs(c.line));
      expect(deploys.every((line) => line.endsWith(` -c gatewayArn=${TOOLS_ARN} -c gatewayUrl=${TOOLS_URL}`))).toBe(true);
      expect(deploys).toHaveLength(2);
      expect(io.out).toContain(`gateway ${TOOLS_ID}: MCP, inbound auth AWS_IAM, READY`);
      expect(readDeployment(cwd)).toMatchObject({ gateway_mode: 'attached', gateway_arn: TOOLS_ARN, gateway_url: TOOLS_URL });
    });

    it('reads a gateway of another region in that region, and the runtime signs for it there', async () => {
      bootstrappedAlready();
      const westArn = TOOLS_ARN.replace(REGION, 'us-west-2');
      // The client for us-west-2 is made by the command itself: mock every client of the class.
      const anyControl = mockClient(BedrockAgentCoreControlClient);
      try {
        anyControl.on(GetGatewayCommand).resolves({
          gatewayArn: westArn,
          gatewayId: TOOLS_ID,
          gatewayUrl: TOOLS_URL.replace(REGION, 'us-west-2'),
          status: 'READY',
          name: 'tools',
          authorizerType: 'AWS_IAM',
          createdAt: NOW,
          updatedAt: NOW,
        });
        anyControl.on(GetAgentRuntimeCommand).resolves({ status: 'READY' });
        const { run, calls } = recordingRunner(repo, happy);
        expect(await deployCommand(['--gateway-arn', westArn, '--image-tag', 'v1', '--region', REGION], {}, recordingIo(), deps(run))).toBe(
          0,
        );
        const call = anyControl.commandCalls(GetGatewayCommand)[0]!;
        expect(await call.thisValue.config.region()).toBe('us-west-2');
        expect(calls.filter((c) => c.args[0] === 'deploy').every((c) => c.line.includes(`-c gatewayArn=${westArn}`))).toBe(true);
      } finally {
        anyControl.restore();
      }
    });

    it('refuses to attach a gateway the runtime could not call (JWT inbound auth, missing), before deploying anything', async () => {
      bootstrappedAlready();
      control.on(GetGatewayCommand, { gatewayIdentifier: TOOLS_ID }).resolves({
        gatewayArn: TOOLS_ARN,
        gatewayId: TOOLS_ID,
        status: 'READY',
        name: 'tools',
        authorizerType: 'CUSTOM_JWT',
        createdAt: NOW,
        updatedAt: NOW,
      });
      const jwt = recordingRunner(repo, happy);
      const io = recordingIo();
      expect(await deployCommand(['--gateway-arn', TOOLS_ARN, '--image-tag', 'v1', '--region', REGION], {}, io, deps(jwt.run))).toBe(1);
      expect(io.err).toContain(`cca: deploy stopped at step 1: the gateway ${TOOLS_ID} authorizes callers with CUSTOM_JWT`);
      expect(io.err).toContain('needs inbound auth AWS_IAM');
      expect(jwt.calls.some((c) => c.args[0] === 'deploy')).toBe(false);

      control
        .on(GetGatewayCommand, { gatewayIdentifier: 'gone-abcde12345' })
        .rejects(Object.assign(new Error('Gateway not found'), { name: 'ResourceNotFoundException' }));
      const missingIo = recordingIo();
      expect(
        await deployCommand(
          ['--gateway-arn', 'gone-abcde12345', '--image-tag', 'v1'],
          {},
          missingIo,
          deps(recordingRunner(repo, happy).run),
        ),
      ).toBe(1);
      expect(missingIo.err).toContain('AgentCore GetGateway gone-abcde12345 failed (ResourceNotFoundException: Gateway not found)');
      expect(fs.existsSync(path.join(cwd, 'deployment.json'))).toBe(false);
    });

    it('refuses contradicting or malformed gateway flags with status 2, before running anything', async () => {
      const { run, calls } = recordingRunner(repo, happy);
      for (const [args, message] of [
        [['--gateway', '--gateway-arn', TOOLS_ARN], '--gateway and --gateway-arn contradict each other'],
        [['--gateway-arn', TOOLS_ARN, '--no-gateway'], '--gateway-arn and --no-gateway contradict each other'],
        [['--gateway-url', TOOLS_URL], '--gateway-url needs --gateway-arn'],
        [['--gateway-arn', 'arn:aws:iam::123456789012:role/x'], '--gateway-arn/--gateway-url: gateway must be an AgentCore Gateway ARN'],
        [
          ['--gateway-arn', TOOLS_ARN, '--gateway-url', 'http://insecure.example.com/mcp'],
          "gateway URL must be the gateway's https:// MCP endpoint",
        ],
      ] as const) {
        const io = recordingIo();
        expect(await deployCommand([...args, '--image-tag', 'v1'], {}, io, deps(run)), args.join(' ')).toBe(2);
        expect(io.err).toContain(message);
      }
      expect(calls).toEqual([]);
    });

    it("deploy-api keeps deployment.json's gateway in the app it synthesizes", async () => {
      bootstrappedAlready();
      expect(
        await deployCommand(
          ['--gateway', '--image-tag', 'v1', '--region', REGION],
          {},
          recordingIo(),
          deps(recordingRunner(repo, happy).run),
        ),
      ).toBe(0);
      const { run, calls } = recordingRunner(repo, happy);
      expect(await deployApiCommand([], {}, recordingIo(), deps(run))).toBe(0);
      expect(calls.map((c) => c.line)).toEqual([
        `${deployLine('claude-code-agent-api-stack', true, true, 'v1', ' --exclusively')} -c modelId=${MODEL} -c gateway=true`,
      ]);
      expect(readDeployment(cwd)?.gateway_mode).toBe('created');
    });
  });
});
