import { describe, expect, it } from 'vitest';
import { detectProvider } from '../config/provider.js';
import { EgressNotAllowedError, isAllowed, modelEndpoints, runDomains, type EgressConfig, type EgressPolicy } from './policy.js';

const OPEN: EgressConfig = { kind: 'open' };
const DEPLOYMENT: EgressConfig = { kind: 'allowlist', domains: ['*.github.com', 'pypi.org', '10.0.0.5'] };

/** The EgressNotAllowedError a call throws (fails the test if it throws nothing or something else). */
function notAllowed(fn: () => unknown): EgressNotAllowedError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EgressNotAllowedError);
    return err as EgressNotAllowedError;
  }
  throw new Error('expected an EgressNotAllowedError');
}

describe('runDomains', () => {
  it('leaves an open deployment open when the request says nothing', () => {
    expect(runDomains(OPEN, undefined)).toBeUndefined();
  });

  it('gives an open deployment the request list, the empty one included', () => {
    expect(runDomains(OPEN, ['example.com', '*.npmjs.org'])).toEqual(['example.com', '*.npmjs.org']);
    expect(runDomains(OPEN, [])).toEqual([]);
  });

  it("gives a run without a list the deployment's allowlist", () => {
    expect(runDomains(DEPLOYMENT, undefined)).toEqual(['*.github.com', 'pypi.org', '10.0.0.5']);
    expect(runDomains({ kind: 'allowlist', domains: [] }, undefined)).toEqual([]);
  });

  it('takes a request list within the allowlist as it is', () => {
    expect(runDomains(DEPLOYMENT, ['api.github.com', '*.api.github.com', 'pypi.org'])).toEqual([
      'api.github.com',
      '*.api.github.com',
      'pypi.org',
    ]);
    expect(runDomains(DEPLOYMENT, ['*.github.com'])).toEqual(['*.github.com']);
    expect(runDomains(DEPLOYMENT, [])).toEqual([]);
  });

  it('refuses a request list reaching outside the allowlist, naming what is outside', () => {
    const err = notAllowed(() => runDomains(DEPLOYMENT, ['api.github.com', 'github.com', 'evil.com', '*.pypi.org']));
    expect(err.name).toBe('EgressNotAllowedError');
    expect(err.outside).toEqual(['github.com', 'evil.com', '*.pypi.org']);
    expect(err.deployment).toEqual(['*.github.com', 'pypi.org', '10.0.0.5']);
    expect(err.message).toContain('github.com, evil.com, *.pypi.org');
    expect(err.message).toContain('allowed_domains may only narrow');
  });

  it('refuses any host under an empty allowlist', () => {
    expect(notAllowed(() => runDomains({ kind: 'allowlist', domains: [] }, ['example.com'])).outside).toEqual(['example.com']);
  });
});

describe('isAllowed', () => {
  const policy: EgressPolicy = {
    domains: ['github.com', '*.pypi.org'],
    endpoints: [
      { pattern: 'api.anthropic.com', port: 443 },
      { pattern: '*.googleapis.com', port: 443 },
      { pattern: '127.0.0.1', port: 9999 },
    ],
  };

  it('allows the domains on any port', () => {
    expect(isAllowed(policy, 'github.com', 443)).toBe(true);
    expect(isAllowed(policy, 'github.com', 22)).toBe(true);
    expect(isAllowed(policy, 'files.pypi.org', 8080)).toBe(true);
    expect(isAllowed(policy, 'GitHub.com.', 80)).toBe(true);
  });

  it('allows the endpoints on their own port only', () => {
    expect(isAllowed(policy, 'api.anthropic.com', 443)).toBe(true);
    expect(isAllowed(policy, 'api.anthropic.com', 80)).toBe(false);
    expect(isAllowed(policy, 'aiplatform.googleapis.com', 443)).toBe(true);
    expect(isAllowed(policy, 'aiplatform.googleapis.com', 80)).toBe(false);
    expect(isAllowed(policy, '127.0.0.1', 9999)).toBe(true);
    expect(isAllowed(policy, '127.0.0.1', 22)).toBe(false);
  });

  it('refuses everything else', () => {
    expect(isAllowed(policy, 'pypi.org', 443)).toBe(false);
    expect(isAllowed(policy, 'googleapis.com', 443)).toBe(false);
    expect(isAllowed(policy, 'www.github.com', 443)).toBe(false);
    expect(isAllowed(policy, 'evil.com', 443)).toBe(false);
    expect(isAllowed({ domains: [], endpoints: [] }, 'github.com', 443)).toBe(false);
  });
});

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
    expect(isAllowed({ domains: [], endpoints: vertex }, 'storage.googleapis.com', 443)).toBe(false);
    const global = endpoints({ CLAUDE_CODE_USE_VERTEX: '1', CLOUD_ML_REGION: 'global' });
    expect(global.map((e) => e.pattern)).not.toContain('global-aiplatform.googleapis.com');
  });

  it('strips a trailing dot from the endpoint host, as from every requested host', () => {
    expect(endpoints({ ANTHROPIC_BASE_URL: 'https://API.example.com./v1' })).toEqual([{ pattern: 'api.example.com', port: 443 }]);
  });
});
