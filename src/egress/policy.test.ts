import { describe, expect, it } from 'vitest';
import { EgressNotAllowedError, isAllowed, runDomains, type EgressConfig, type EgressPolicy } from './policy.js';
import { NO_PRIVATE_HOSTS as LOOPBACK } from './addresses.js';

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
    private: LOOPBACK,
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
    expect(isAllowed({ domains: [], endpoints: [], private: LOOPBACK }, 'github.com', 443)).toBe(false);
  });
});
