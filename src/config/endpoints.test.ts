import { describe, expect, it } from 'vitest';
import { isAllowed } from '../egress/index.js';
import { modelEndpoints } from './endpoints.js';
import { detectProvider } from './provider.js';
import { NO_PRIVATE_HOSTS as LOOPBACK } from '../egress/index.js';

describe('modelEndpoints', () => {
  const endpoints = (env: NodeJS.ProcessEnv) => modelEndpoints(detectProvider(env));

  it('is nothing without a provider', () => {
    expect(endpoints({})).toEqual([]);
  });

  it('is the Anthropic API on 443 without a base URL', () => {
    expect(endpoints({ ANTHROPIC_API_KEY: 'sk-test' })).toEqual([{ pattern: 'api.anthropic.com', port: 443 }]);
  });

  it.each([
    ['http://gateway.internal', { pattern: 'gateway.internal', port: 80 }],
    ['https://Gateway.Example.com/v1/', { pattern: 'gateway.example.com', port: 443 }],
    ['https://gateway.example.com:443', { pattern: 'gateway.example.com', port: 443 }],
    ['http://127.0.0.1:9999', { pattern: '127.0.0.1', port: 9999 }],
    ['https://gateway.example.com:8443/anthropic', { pattern: 'gateway.example.com', port: 8443 }],
    ['http://[::1]:4000', { pattern: '::1', port: 4000 }],
    ['https://[2001:DB8::1]', { pattern: '2001:db8::1', port: 443 }],
  ])('is the host and port of ANTHROPIC_BASE_URL=%s', (url, expected) => {
    expect(endpoints({ ANTHROPIC_BASE_URL: url, ANTHROPIC_API_KEY: 'sk-test' })).toEqual([expected]);
  });

  it('is nothing for a base URL that is not a URL (the run cannot reach a model it cannot name)', () => {
    expect(endpoints({ ANTHROPIC_BASE_URL: 'not a url' })).toEqual([]);
  });

  it("is Bedrock's regional endpoint, us-east-1 by default", () => {
    expect(endpoints({ CLAUDE_CODE_USE_BEDROCK: '1', AWS_REGION: 'eu-west-1' })).toEqual([
      { pattern: 'bedrock-runtime.eu-west-1.amazonaws.com', port: 443 },
    ]);
    expect(endpoints({ CLAUDE_CODE_USE_BEDROCK: '1', AWS_DEFAULT_REGION: 'ap-northeast-1' })).toEqual([
      { pattern: 'bedrock-runtime.ap-northeast-1.amazonaws.com', port: 443 },
    ]);
    expect(endpoints({ CLAUDE_CODE_USE_BEDROCK: '1' })).toEqual([{ pattern: 'bedrock-runtime.us-east-1.amazonaws.com', port: 443 }]);
  });

  it('is ANTHROPIC_BEDROCK_BASE_URL instead, even with a small fast model region', () => {
    expect(
      endpoints({
        CLAUDE_CODE_USE_BEDROCK: '1',
        AWS_REGION: 'eu-west-1',
        ANTHROPIC_BEDROCK_BASE_URL: 'https://bedrock.proxy.internal:8443',
        ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION: 'us-west-2',
      }),
    ).toEqual([{ pattern: 'bedrock.proxy.internal', port: 8443 }]);
  });

  it('adds the endpoint of ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION', () => {
    expect(
      endpoints({ CLAUDE_CODE_USE_BEDROCK: '1', AWS_REGION: 'eu-west-1', ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION: 'us-west-2' }),
    ).toEqual([
      { pattern: 'bedrock-runtime.eu-west-1.amazonaws.com', port: 443 },
      { pattern: 'bedrock-runtime.us-west-2.amazonaws.com', port: 443 },
    ]);
  });

  it('adds the container credentials endpoint of AWS_CONTAINER_CREDENTIALS_FULL_URI', () => {
    expect(
      endpoints({
        CLAUDE_CODE_USE_BEDROCK: '1',
        AWS_REGION: 'us-west-2',
        AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:1338/v1/credentials',
      }),
    ).toEqual([
      { pattern: 'bedrock-runtime.us-west-2.amazonaws.com', port: 443 },
      { pattern: '127.0.0.1', port: 1338 },
    ]);
  });

  it('adds the ECS credentials endpoint 169.254.170.2:80 for AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', () => {
    expect(
      endpoints({ CLAUDE_CODE_USE_BEDROCK: '1', AWS_REGION: 'us-west-2', AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/abc' }),
    ).toEqual([
      { pattern: 'bedrock-runtime.us-west-2.amazonaws.com', port: 443 },
      { pattern: '169.254.170.2', port: 80 },
    ]);
  });

  it('adds the regional and global STS endpoints for AWS_WEB_IDENTITY_TOKEN_FILE', () => {
    const env = { CLAUDE_CODE_USE_BEDROCK: '1', AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token', AWS_ROLE_ARN: 'arn:aws:iam::1:role/r' };
    expect(endpoints({ ...env, AWS_REGION: 'eu-central-1' })).toEqual([
      { pattern: 'bedrock-runtime.eu-central-1.amazonaws.com', port: 443 },
      { pattern: 'sts.eu-central-1.amazonaws.com', port: 443 },
      { pattern: 'sts.amazonaws.com', port: 443 },
    ]);
    expect(endpoints(env)).toContainEqual({ pattern: 'sts.us-east-1.amazonaws.com', port: 443 });
  });

  it('adds no credential endpoint for keys in the environment, nor the instance metadata service', () => {
    const found = endpoints({
      CLAUDE_CODE_USE_BEDROCK: '1',
      AWS_REGION: 'us-west-2',
      AWS_ACCESS_KEY_ID: 'AKIA',
      AWS_SECRET_ACCESS_KEY: 's',
    });
    expect(found).toEqual([{ pattern: 'bedrock-runtime.us-west-2.amazonaws.com', port: 443 }]);
  });

  it("is Vertex AI's hosts and Google's token services on 443, not the rest of googleapis.com (storage would be a way out)", () => {
    const vertex = endpoints({ CLAUDE_CODE_USE_VERTEX: '1', CLOUD_ML_REGION: 'us-east5', ANTHROPIC_VERTEX_PROJECT_ID: 'p' });
    expect(vertex.map((e) => e.pattern).sort()).toEqual(
      ['aiplatform', 'iamcredentials', 'oauth2', 'sts', 'us-east5-aiplatform'].map((h) => `${h}.googleapis.com`),
    );
    expect(vertex.every((e) => e.port === 443)).toBe(true);
    expect(isAllowed({ domains: [], endpoints: vertex, private: LOOPBACK }, 'storage.googleapis.com', 443)).toBe(false);
    const global = endpoints({ CLAUDE_CODE_USE_VERTEX: '1', CLOUD_ML_REGION: 'global' });
    expect(global.map((e) => e.pattern)).not.toContain('global-aiplatform.googleapis.com');
  });

  it('strips a trailing dot from the endpoint host, as from every requested host', () => {
    expect(endpoints({ ANTHROPIC_BASE_URL: 'https://API.example.com./v1' })).toEqual([{ pattern: 'api.example.com', port: 443 }]);
  });
});
