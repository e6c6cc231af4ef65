import { describe, expect, it } from 'vitest';
import { bedrockDefaultModel, detectProvider, runModel } from './provider.js';

const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';

describe('detectProvider kind', () => {
  it('is none for an empty environment', () => {
    expect(detectProvider({})).toEqual({ kind: 'none', env: {}, defaultModel: undefined, endpoint: 'none' });
  });

  it('is anthropic with an API key, pointing at the Anthropic API', () => {
    const provider = detectProvider({ ANTHROPIC_API_KEY: 'sk-test' });
    expect(provider).toMatchObject({ kind: 'anthropic', defaultModel: undefined, endpoint: 'https://api.anthropic.com' });
    expect(provider.env).toEqual({ ANTHROPIC_API_KEY: 'sk-test' });
  });

  it('is anthropic with only a base URL or an auth token', () => {
    expect(detectProvider({ ANTHROPIC_BASE_URL: 'http://127.0.0.1:9999' })).toMatchObject({
      kind: 'anthropic',
      endpoint: 'http://127.0.0.1:9999',
    });
    expect(detectProvider({ ANTHROPIC_AUTH_TOKEN: 'tok' }).kind).toBe('anthropic');
  });

  it('treats empty provider variables as unset', () => {
    expect(detectProvider({ ANTHROPIC_API_KEY: '' })).toMatchObject({ kind: 'none', env: {} });
  });

  it.each(['1', 'true', 'TRUE', 'yes', 'on'])('is bedrock with CLAUDE_CODE_USE_BEDROCK=%j', (value) => {
    expect(detectProvider({ CLAUDE_CODE_USE_BEDROCK: value, AWS_REGION: 'us-east-1' }).kind).toBe('bedrock');
  });

  it.each(['0', 'false', 'no', ''])('is not bedrock with CLAUDE_CODE_USE_BEDROCK=%j', (value) => {
    expect(detectProvider({ CLAUDE_CODE_USE_BEDROCK: value }).kind).toBe('none');
  });

  it('prefers bedrock over an Anthropic key', () => {
    expect(detectProvider({ CLAUDE_CODE_USE_BEDROCK: '1', ANTHROPIC_API_KEY: 'sk-test' }).kind).toBe('bedrock');
  });

  it('is vertex with CLAUDE_CODE_USE_VERTEX=1 and names no default model', () => {
    const provider = detectProvider({ CLAUDE_CODE_USE_VERTEX: '1', CLOUD_ML_REGION: 'us-east5', ANTHROPIC_VERTEX_PROJECT_ID: 'p' });
    expect(provider).toMatchObject({ kind: 'vertex', defaultModel: undefined });
    expect(provider.env).toEqual({ CLAUDE_CODE_USE_VERTEX: '1', CLOUD_ML_REGION: 'us-east5', ANTHROPIC_VERTEX_PROJECT_ID: 'p' });
  });
});

describe('detectProvider bedrock', () => {
  it.each([
    ['ap-northeast-1', `jp.${HAIKU}`],
    ['ap-northeast-3', `jp.${HAIKU}`],
    ['us-west-2', `us.${HAIKU}`],
    ['us-east-1', `us.${HAIKU}`],
    ['ca-central-1', `us.${HAIKU}`],
    ['us-gov-west-1', `us-gov.${HAIKU}`],
    ['eu-west-1', `eu.${HAIKU}`],
    ['ap-southeast-2', `au.${HAIKU}`],
    ['ap-south-1', `apac.${HAIKU}`],
    ['sa-east-1', `global.${HAIKU}`],
  ])('defaults to Haiku 4.5 through the right inference profile in %s', (region, model) => {
    expect(bedrockDefaultModel(region)).toBe(model);
    const provider = detectProvider({ CLAUDE_CODE_USE_BEDROCK: '1', AWS_REGION: region });
    expect(provider.defaultModel).toBe(model);
    expect(provider.endpoint).toBe(`https://bedrock-runtime.${region}.amazonaws.com`);
  });

  it('falls back to AWS_DEFAULT_REGION and passes it on as AWS_REGION', () => {
    const provider = detectProvider({ CLAUDE_CODE_USE_BEDROCK: '1', AWS_DEFAULT_REGION: 'eu-west-1' });
    expect(provider.defaultModel).toBe(`eu.${HAIKU}`);
    expect(provider.env.AWS_REGION).toBe('eu-west-1');
  });

  it('prefers AWS_REGION over AWS_DEFAULT_REGION', () => {
    const provider = detectProvider({ CLAUDE_CODE_USE_BEDROCK: '1', AWS_REGION: 'ap-northeast-1', AWS_DEFAULT_REGION: 'eu-west-1' });
    expect(provider.defaultModel).toBe(`jp.${HAIKU}`);
    expect(provider.env.AWS_REGION).toBe('ap-northeast-1');
  });

  it('uses us-east-1 when no region is set', () => {
    const provider = detectProvider({ CLAUDE_CODE_USE_BEDROCK: '1' });
    expect(provider.env.AWS_REGION).toBe('us-east-1');
    expect(provider.defaultModel).toBe(`us.${HAIKU}`);
  });

  it('reports a Bedrock base URL override as the endpoint', () => {
    const provider = detectProvider({ CLAUDE_CODE_USE_BEDROCK: '1', ANTHROPIC_BEDROCK_BASE_URL: 'http://127.0.0.1:4000' });
    expect(provider.endpoint).toBe('http://127.0.0.1:4000');
  });
});

describe('detectProvider env allowlist', () => {
  const secrets = {
    CCA_SIGNING_SECRET: 'signing',
    CCA_DATA_DIR: '/var/lib/cca',
    DATABASE_URL: 'postgres://u:p@db/x',
    GITHUB_TOKEN: 'ghp_x',
    GH_TOKEN: 'ghp_y',
    NPM_TOKEN: 'npm_x',
    OPENAI_API_KEY: 'sk-openai',
    AWS_PROFILE: 'admin',
    AWS_SHARED_CREDENTIALS_FILE: '/root/.aws/credentials',
    AWS_CONFIG_FILE: '/root/.aws/config',
    SSH_AUTH_SOCK: '/tmp/ssh.sock',
    HOME: '/root',
    PATH: '/usr/bin',
    NODE_OPTIONS: '--require /tmp/evil.js',
    LD_PRELOAD: '/tmp/evil.so',
  };

  it.each([
    ['none', {}],
    ['anthropic', { ANTHROPIC_API_KEY: 'sk-test' }],
    ['bedrock', { CLAUDE_CODE_USE_BEDROCK: '1', AWS_REGION: 'us-west-2', AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' }],
    ['vertex', { CLAUDE_CODE_USE_VERTEX: '1' }],
  ])('passes on none of the service variables (%s)', (_kind, providerVars) => {
    const provider = detectProvider({ ...secrets, ...providerVars });
    for (const name of Object.keys(secrets)) expect(provider.env).not.toHaveProperty(name);
    for (const value of Object.values(secrets)) expect(Object.values(provider.env)).not.toContain(value);
    for (const [name, value] of Object.entries(providerVars)) expect(provider.env[name]).toBe(value);
  });

  it('passes on the Bedrock credentials, region and proxy settings', () => {
    const env = {
      CLAUDE_CODE_USE_BEDROCK: '1',
      AWS_REGION: 'us-west-2',
      AWS_ACCESS_KEY_ID: 'AKIA',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'session',
      AWS_BEARER_TOKEN_BEDROCK: 'bearer',
      HTTPS_PROXY: 'http://proxy:3128',
      NO_PROXY: 'localhost',
      NODE_EXTRA_CA_CERTS: '/etc/ca.pem',
    };
    expect(detectProvider(env).env).toEqual(env);
  });
});

describe('credentials of other providers never reach the agent', () => {
  const everything = {
    ANTHROPIC_API_KEY: 'sk-ant',
    ANTHROPIC_AUTH_TOKEN: 'tok',
    AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_SESSION_TOKEN: 'session',
    AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.2/creds',
    GOOGLE_APPLICATION_CREDENTIALS: '/creds.json',
  };

  it('passes no AWS or Google credentials with the Anthropic API', () => {
    const { kind, env } = detectProvider(everything);
    expect(kind).toBe('anthropic');
    expect(Object.keys(env).sort()).toEqual(['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN']);
  });

  it('passes no Anthropic key or Google credentials on Bedrock', () => {
    const { kind, env } = detectProvider({ ...everything, CLAUDE_CODE_USE_BEDROCK: '1', AWS_REGION: 'eu-west-1' });
    expect(kind).toBe('bedrock');
    expect(env).not.toHaveProperty('ANTHROPIC_API_KEY');
    expect(env).not.toHaveProperty('ANTHROPIC_AUTH_TOKEN');
    expect(env).not.toHaveProperty('GOOGLE_APPLICATION_CREDENTIALS');
    expect(env).toMatchObject({ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session' });
  });

  it('passes no AWS credentials or Anthropic key on Vertex', () => {
    const { kind, env } = detectProvider({ ...everything, CLAUDE_CODE_USE_VERTEX: 'true' });
    expect(kind).toBe('vertex');
    expect(Object.keys(env).sort()).toEqual(['CLAUDE_CODE_USE_VERTEX', 'GOOGLE_APPLICATION_CREDENTIALS']);
  });

  it('passes nothing when no provider is configured', () => {
    expect(detectProvider({ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' })).toMatchObject({ kind: 'none', env: {} });
  });
});

describe('runModel', () => {
  const provider = { kind: 'bedrock' as const, env: {}, defaultModel: 'global.anthropic.claude-haiku-4-5', endpoint: 'x' };
  it("takes the request's model, else the service's, else the provider's default", () => {
    expect(runModel('claude-opus', { model: 'claude-sonnet', provider })).toBe('claude-opus');
    expect(runModel(undefined, { model: 'claude-sonnet', provider })).toBe('claude-sonnet');
    expect(runModel(undefined, { model: undefined, provider })).toBe('global.anthropic.claude-haiku-4-5');
    expect(runModel(undefined, { model: undefined, provider: { ...provider, defaultModel: undefined } })).toBeUndefined();
  });
});
