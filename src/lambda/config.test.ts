import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/index.js';
import { loadLambdaConfig } from './config.js';

const ARN = 'arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/cca_agent-AbCdEf1234';
const BASE = { RUNTIME_ARN: ARN, BUCKET: 'my-bucket', AWS_REGION: 'us-east-1' };

describe('loadLambdaConfig', () => {
  it('applies the defaults: DEFAULT endpoint, no prefix, no endpoint overrides, the runtime limits', () => {
    const config = loadLambdaConfig(BASE);
    expect(config).toMatchObject({
      runtimeArn: ARN,
      qualifier: 'DEFAULT',
      bucket: 'my-bucket',
      prefix: '',
      agentCoreEndpoint: undefined,
      aws: { region: 'us-east-1', s3Endpoint: undefined, s3ForcePathStyle: false },
      eventsWaitS: 20,
      keyMaxConcurrent: 4,
    });
    expect(config.limits.maxBodyBytes).toBe(1024 * 1024);
    expect(config.limits.maxTurnsLimit).toBe(200);
  });

  it('reads the optional variables and the same CCA_ limits as the runtime', () => {
    const config = loadLambdaConfig({
      ...BASE,
      STORAGE_PREFIX: '/team/agent/',
      AGENTCORE_QUALIFIER: 'live',
      AGENTCORE_ENDPOINT: 'http://127.0.0.1:9000',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9001',
      CCA_S3_FORCE_PATH_STYLE: '1',
      CCA_MAX_BODY_BYTES: '4096',
      CCA_MAX_TURNS_LIMIT: '20',
      EVENTS_WAIT_S: '2.5',
      KEY_MAX_CONCURRENT: '0',
    });
    expect(config).toMatchObject({
      prefix: 'team/agent',
      qualifier: 'live',
      agentCoreEndpoint: 'http://127.0.0.1:9000',
      aws: { region: 'us-east-1', s3Endpoint: 'http://127.0.0.1:9001', s3ForcePathStyle: true },
      eventsWaitS: 2.5,
      keyMaxConcurrent: 0,
    });
    expect(config.limits.maxBodyBytes).toBe(4096);
    expect(config.limits.maxTurnsLimit).toBe(20);
  });

  it("reads the runtime's MCP server names from the same inline CCA_MCP_CONFIG, expanding nothing", () => {
    expect(loadLambdaConfig(BASE).mcp).toBeUndefined();
    const gateway = JSON.stringify({ mcpServers: { gateway: { type: 'http', url: '${GATEWAY_URL}', auth: { type: 'aws_iam' } } } });
    expect(loadLambdaConfig({ ...BASE, CCA_MCP_CONFIG: gateway, CCA_MCP_ALLOW_REQUEST_SERVERS: '1' }).mcp).toEqual({
      servers: { gateway: { default: false } },
      allowRequestServers: true,
    });
    // The names alone, as the CDK gives them beside a gateway.
    expect(loadLambdaConfig({ ...BASE, CCA_MCP_SERVERS: 'gateway, docs' }).mcp).toEqual({
      servers: { gateway: { default: false }, docs: { default: false } },
      allowRequestServers: false,
    });
    // A file path is the runtime's, not the Lambda's to read: the runtime checks alone.
    expect(loadLambdaConfig({ ...BASE, CCA_MCP_CONFIG: '/etc/cca/mcp.json' }).mcp).toBeUndefined();
  });

  it.each([
    ['RUNTIME_ARN', { ...BASE, RUNTIME_ARN: '' }, /RUNTIME_ARN is required/],
    ['BUCKET', { ...BASE, BUCKET: undefined }, /BUCKET is required/],
    ['AWS_REGION', { ...BASE, AWS_REGION: ' ' }, /AWS_REGION is required/],
    [
      'a malformed ARN',
      { ...BASE, RUNTIME_ARN: 'arn:aws:lambda:us-east-1:123456789012:function:x' },
      /RUNTIME_ARN must be an AgentCore Runtime ARN/,
    ],
    ['a bad bucket name', { ...BASE, BUCKET: 'Not_A_Bucket' }, /BUCKET must be an S3 bucket name/],
    ['a prefix with ".." in it', { ...BASE, STORAGE_PREFIX: 'a/../b' }, /STORAGE_PREFIX/],
    ['a bad limit', { ...BASE, CCA_MAX_BODY_BYTES: 'lots' }, /CCA_MAX_BODY_BYTES/],
    ["a long-poll past API Gateway's limit", { ...BASE, EVENTS_WAIT_S: '29' }, /EVENTS_WAIT_S must be a number of seconds from 0 to 25/],
    ['a long-poll that is no number', { ...BASE, EVENTS_WAIT_S: '-1' }, /EVENTS_WAIT_S/],
    ['a run cap that is no count', { ...BASE, KEY_MAX_CONCURRENT: 'four' }, /KEY_MAX_CONCURRENT must be a whole number from 0/],
    ['a bad S3 endpoint', { ...BASE, AWS_ENDPOINT_URL_S3: 'localhost:9000' }, /AWS_ENDPOINT_URL_S3 must be an http\(s\) URL/],
  ])('refuses a missing or bad %s with a ConfigError naming it', (_name, env, message) => {
    expect(() => loadLambdaConfig(env)).toThrow(ConfigError);
    expect(() => loadLambdaConfig(env)).toThrow(message);
  });
});
