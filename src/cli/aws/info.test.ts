/**
 * `cca info`. Deployed: CloudFormation and AgentCore control go to aws-sdk-client-mock (they have
 * no local peer). Locally: a real HTTP server on 127.0.0.1 plays `cca serve`'s /health.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BedrockAgentCoreControlClient, GetAgentRuntimeCommand } from '@aws-sdk/client-bedrock-agentcore-control';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordingIo } from '../../../test/support/aws-fakes.js';
import { infoCommand } from '../entries.js';
import { writeDeployment, type DeploymentInfo } from './deployment.js';

const DEPLOYMENT: DeploymentInfo = {
  region: 'ap-northeast-1',
  stack: 'claude-code-agent-stack',
  api_stack: 'claude-code-agent-api-stack',
  bucket: 'cca-bucket',
  repository_uri: '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/cca-repo',
  runtime_arn: 'arn:aws:bedrock-agentcore:ap-northeast-1:123456789012:runtime/rt-1',
  runtime_id: 'rt-1',
  model_id: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
  image_tag: 'v1',
  api_endpoint: 'https://abc.execute-api.ap-northeast-1.amazonaws.com/prod/',
  api_key_id: 'key123',
  deployed_at: '2025-06-01T18:00:00.000Z',
};

describe('cca info', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-info-'));
  });
  afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

  function mocks() {
    const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };
    const cloudFormation = new CloudFormationClient({ region: 'ap-northeast-1', credentials });
    const agentCoreControl = new BedrockAgentCoreControlClient({ region: 'ap-northeast-1', credentials });
    const cfn = mockClient(cloudFormation);
    const control = mockClient(agentCoreControl);
    cfn.on(DescribeStacksCommand, { StackName: 'claude-code-agent-stack' }).resolves({
      Stacks: [
        {
          StackName: 'claude-code-agent-stack',
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: [
            { OutputKey: 'BucketName', OutputValue: 'cca-bucket' },
            { OutputKey: 'RuntimeArn', OutputValue: DEPLOYMENT.runtime_arn },
          ],
        },
      ],
    });
    cfn.on(DescribeStacksCommand, { StackName: 'claude-code-agent-api-stack' }).resolves({
      Stacks: [
        {
          StackName: 'claude-code-agent-api-stack',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: [{ OutputKey: 'FunctionName', OutputValue: 'fn' }],
        },
      ],
    });
    control.on(GetAgentRuntimeCommand, { agentRuntimeId: 'rt-1' }).resolves({ status: 'READY', agentRuntimeVersion: '3' });
    return { clients: { cloudFormation, agentCoreControl }, cfn, control };
  }

  it("deployed: the record, each stack's status and outputs, the runtime status and the API URL", async () => {
    writeDeployment(cwd, DEPLOYMENT);
    const { clients } = mocks();
    const io = recordingIo();
    expect(await infoCommand([], {}, io, { cwd, clients })).toBe(0);
    expect(io.out).toContain('stack:     claude-code-agent-stack (UPDATE_COMPLETE)');
    expect(io.out).toContain('status:    READY, version 3');
    expect(io.out).toContain('api stack: claude-code-agent-api-stack (CREATE_COMPLETE)');
    expect(io.out).toContain('api:       https://abc.execute-api.ap-northeast-1.amazonaws.com/prod/invoke');
    expect(io.out).toContain('Outputs of claude-code-agent-stack:\n  BucketName  cca-bucket\n  RuntimeArn  arn:aws:bedrock-agentcore');
    expect(io.out).toContain('FunctionName  fn');
  });

  it("shows the gateway's MCP URL from the agent stack's outputs (what is deployed), in text and JSON", async () => {
    const url = 'https://cca-gateway-abcde12345.gateway.bedrock-agentcore.ap-northeast-1.amazonaws.com/mcp';
    writeDeployment(cwd, { ...DEPLOYMENT, gateway_mode: 'created', gateway_url: 'https://stale.example.com/mcp' });
    const { clients, cfn } = mocks();
    cfn.on(DescribeStacksCommand, { StackName: 'claude-code-agent-stack' }).resolves({
      Stacks: [
        {
          StackName: 'claude-code-agent-stack',
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: [{ OutputKey: 'GatewayUrl', OutputValue: url }],
        },
      ],
    });
    const io = recordingIo();
    expect(await infoCommand([], {}, io, { cwd, clients })).toBe(0);
    expect(io.out).toContain(`gateway:   ${url}   (the runtime's MCP server "gateway")`);
    const json = recordingIo();
    expect(await infoCommand(['--json'], {}, json, { cwd, clients })).toBe(0);
    expect(JSON.parse(json.out).gateway_url).toBe(url);
    // Without a gateway: no line, and null.
    writeDeployment(cwd, DEPLOYMENT);
    const none = recordingIo();
    expect(await infoCommand(['--json'], {}, none, { cwd, clients: mocks().clients })).toBe(0);
    expect(JSON.parse(none.out).gateway_url).toBeNull();
  });

  it('--json: one object; a failed read is reported in place and makes the exit status 1', async () => {
    writeDeployment(cwd, DEPLOYMENT);
    const { clients, control } = mocks();
    control.reset();
    control.on(GetAgentRuntimeCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    const io = recordingIo();
    expect(await infoCommand(['--json'], {}, io, { cwd, clients })).toBe(1);
    const report = JSON.parse(io.out);
    expect(report.mode).toBe('aws');
    expect(report.deployment).toEqual(DEPLOYMENT);
    expect(report.stacks['claude-code-agent-stack']).toMatchObject({ status: 'UPDATE_COMPLETE', outputs: { BucketName: 'cca-bucket' } });
    expect(report.runtime.error).toContain('access denied');
    expect(report.api_invoke_url).toBe('https://abc.execute-api.ap-northeast-1.amazonaws.com/prod/invoke');
    expect(io.err).toContain('AgentCore GetAgentRuntime: access denied');
  });

  it('locally: data dir, storage, key file, log file and whether /health answers', async () => {
    const server = http.createServer((req, res) => {
      res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', version: '0.1.0', uptime_s: 42 }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    fs.mkdirSync(path.join(cwd, '.cca'));
    fs.writeFileSync(path.join(cwd, '.cca', '.api_key'), 'k\n');
    try {
      const io = recordingIo();
      expect(await infoCommand(['--endpoint', endpoint], {}, io, { cwd })).toBe(0);
      expect(io.out).toContain(`data dir:  ${path.join(cwd, '.cca')}\n`);
      expect(io.out).toContain(`storage:   local (${path.join(cwd, '.cca', 'artifacts')})`);
      expect(io.out).toContain(`api key:   ${path.join(cwd, '.cca', '.api_key')}\n`);
      expect(io.out).toContain(`endpoint:  ${endpoint}  answers (version 0.1.0, up 42 s)`);

      const json = recordingIo();
      expect(await infoCommand(['--json'], { CCA_ENDPOINT: `${endpoint}/invoke`, CCA_STORAGE: 's3://cca-bucket/p' }, json, { cwd })).toBe(
        0,
      );
      expect(JSON.parse(json.out)).toMatchObject({
        mode: 'local',
        storage: 's3://cca-bucket/p',
        api_key_file_exists: true,
        health: { ok: true, status: 200 },
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    const down = recordingIo();
    expect(await infoCommand(['--endpoint', endpoint, '--data-dir', 'nowhere'], {}, down, { cwd })).toBe(0);
    expect(down.out).toContain('no answer (ECONNREFUSED): start it with "npm start"');
    expect(down.out).toContain('(not created yet');
    expect(down.out).toContain('(missing)');
  });
});
