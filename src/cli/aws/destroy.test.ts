/**
 * `cca destroy`. CloudFormation's DescribeStacks goes to aws-sdk-client-mock (no local peer);
 * cdk goes to a recording runner (no AWS account here). Asserts the confirmation, the order
 * (API stack first) and what happens to deployment.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeCheckout, recordingIo, recordingRunner } from '../../../test/support/aws-fakes.js';
import type { CommandDeps as AwsDeps } from '../context.js';
import { destroyCommand } from '../entries.js';
import { readDeployment, writeDeployment, type DeploymentInfo } from './deployment.js';

const DEPLOYMENT: DeploymentInfo = {
  region: 'us-west-2',
  stack: 'claude-code-agent-stack',
  api_stack: 'claude-code-agent-api-stack',
  bucket: 'cca-bucket',
  repository_uri: '123456789012.dkr.ecr.us-west-2.amazonaws.com/cca-repo',
  runtime_arn: 'arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/rt-1',
  runtime_id: 'rt-1',
  model_id: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
  image_tag: 'v1',
  api_endpoint: 'https://abc.execute-api.us-west-2.amazonaws.com/prod/',
  api_key_id: 'key123',
  deployed_at: '2025-06-01T18:00:00.000Z',
};
const CTX =
  '-c region=us-west-2 -c stackName=claude-code-agent-stack -c apiStackName=claude-code-agent-api-stack -c deployRuntime=true -c deployApi=true -c imageTag=v1 -c modelId=us.anthropic.claude-haiku-4-5-20251001-v1:0';
const destroyLine = (stack: string) =>
  `cdk destroy ${stack} --app node "<repo>/dist/cli/aws/cdk-app.js" --output <work>/cdk.out --force ${CTX}`;
const exists = (name: string) => ({ Stacks: [{ StackName: name, StackStatus: 'CREATE_COMPLETE' as const, CreationTime: new Date() }] });

describe('cca destroy', () => {
  let repo: string;
  let cwd: string;
  let cfn: ReturnType<typeof mockClient>;
  let clients: AwsDeps['clients'];

  beforeEach(() => {
    repo = fakeCheckout();
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-destroy-cwd-'));
    writeDeployment(cwd, DEPLOYMENT);
    const cloudFormation = new CloudFormationClient({ region: 'us-west-2', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    cfn = mockClient(cloudFormation);
    cfn.on(DescribeStacksCommand, { StackName: 'claude-code-agent-stack' }).resolves(exists('claude-code-agent-stack'));
    cfn.on(DescribeStacksCommand, { StackName: 'claude-code-agent-api-stack' }).resolves(exists('claude-code-agent-api-stack'));
    clients = { cloudFormation };
  });
  afterEach(() => {
    fs.rmSync(repo, { recursive: true, force: true });
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it('without --yes on a non-terminal: exit 2, says to pass --yes, deletes nothing', async () => {
    const { run, calls } = recordingRunner(repo, () => undefined);
    const io = recordingIo();
    expect(await destroyCommand([], {}, io, { clients, run, cwd, repoRoot: repo, readLine: async () => undefined })).toBe(2);
    expect(io.err).toContain('stdin is not a terminal, so pass --yes');
    expect(calls).toEqual([]);
    expect(readDeployment(cwd)).toEqual(DEPLOYMENT);
  });

  it('asks on a terminal, naming the stacks and region; anything but yes deletes nothing', async () => {
    const asked: string[] = [];
    const { run, calls } = recordingRunner(repo, () => undefined);
    const io = recordingIo();
    const readLine = async (q: string) => (asked.push(q), 'n');
    expect(await destroyCommand([], {}, io, { clients, run, cwd, repoRoot: repo, readLine })).toBe(0);
    expect(asked).toEqual(['Delete claude-code-agent-api-stack and claude-code-agent-stack in us-west-2? This cannot be undone. [y/N] ']);
    expect(io.out).toBe('Nothing deleted.\n');
    expect(calls).toEqual([]);
  });

  it('confirmed with "yes": destroys the API stack, then the agent stack, removes deployment.json and says what was kept', async () => {
    const { run, calls } = recordingRunner(repo, () => undefined);
    const io = recordingIo();
    expect(await destroyCommand([], {}, io, { clients, run, cwd, repoRoot: repo, readLine: async () => 'yes' })).toBe(0);
    expect(calls.map((c) => c.line)).toEqual([destroyLine('claude-code-agent-api-stack'), destroyLine('claude-code-agent-stack')]);
    expect(fs.existsSync(path.join(cwd, 'deployment.json'))).toBe(false);
    expect(io.out).toContain('[1/2] Destroying claude-code-agent-api-stack\n[2/2] Destroying claude-code-agent-stack\n');
    expect(io.out).toContain('aws s3 rb s3://cca-bucket --force --region us-west-2');
    expect(io.out).toContain('aws ecr delete-repository --repository-name cca-repo --force --region us-west-2');
  });

  it('--api-only --yes destroys only the API stack and keeps the runtime in deployment.json', async () => {
    const { run, calls } = recordingRunner(repo, () => undefined);
    const io = recordingIo();
    expect(await destroyCommand(['--api-only', '--yes'], {}, io, { clients, run, cwd, repoRoot: repo })).toBe(0);
    expect(calls.map((c) => c.line)).toEqual([destroyLine('claude-code-agent-api-stack')]);
    const { api_stack: _a, api_endpoint: _b, api_key_id: _c, ...rest } = DEPLOYMENT;
    expect(readDeployment(cwd)).toEqual(rest);
  });

  it('a failed cdk destroy exits 1 with its output and keeps deployment.json', async () => {
    const { run, calls } = recordingRunner(repo, ({ args }) =>
      args[1] === 'claude-code-agent-stack' ? { code: 1, stderr: 'DELETE_FAILED: bucket not empty\n' } : undefined,
    );
    const io = recordingIo();
    expect(await destroyCommand(['--yes'], {}, io, { clients, run, cwd, repoRoot: repo })).toBe(1);
    expect(calls).toHaveLength(2);
    expect(io.err).toContain('cca: cdk destroy claude-code-agent-stack failed (exit 1):\nDELETE_FAILED: bucket not empty');
    expect(readDeployment(cwd)).toEqual(DEPLOYMENT);
  });

  it('with nothing deployed: says so, asks nothing, and forgets a stale deployment.json', async () => {
    cfn.reset();
    cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id x does not exist'), { name: 'ValidationError' }));
    const { run, calls } = recordingRunner(repo, () => undefined);
    const io = recordingIo();
    expect(await destroyCommand([], {}, io, { clients, run, cwd, repoRoot: repo, readLine: async () => undefined })).toBe(0);
    expect(io.out).toContain('Nothing to destroy: no stack claude-code-agent-api-stack or claude-code-agent-stack in us-west-2.');
    expect(calls).toEqual([]);
    expect(fs.existsSync(path.join(cwd, 'deployment.json'))).toBe(false);
  });
});
