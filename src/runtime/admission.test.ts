import { describe, expect, it } from 'vitest';
import { loadConfig, NO_PROVIDER_MESSAGE } from '../config/index.js';
import type { EgressConfig } from '../egress/index.js';
import { toErrorResponse } from '../errors/index.js';
import { SANDBOX_UNAVAILABLE_HINT, type SandboxStatus } from '../sandbox/index.js';
import { admitRequest, admitToSession, assertVisible, inputsOf, type ServiceFacts } from './admission.js';

const withKey = loadConfig({ 'data-dir': '/nonexistent' }, { ANTHROPIC_API_KEY: 'sk-x' });
const withoutProvider = loadConfig({ 'data-dir': '/nonexistent' }, {});
const bwrap: SandboxStatus = { kind: 'bwrap', path: '/usr/bin/bwrap', network: true };

function facts(over: { egress?: EgressConfig; sandbox?: SandboxStatus; closing?: boolean; provider?: 'none' } = {}): ServiceFacts {
  return {
    config: {
      provider: over.provider === 'none' ? withoutProvider.provider : withKey.provider,
      egress: over.egress ?? { kind: 'open' },
      storage: { kind: 'local' },
      mcp: withKey.mcp,
    },
    sandbox: over.sandbox ?? bwrap,
    closing: over.closing ?? false,
  };
}
const req = (over: { sessionId?: string; allowedDomains?: string[] } = {}) => ({
  sessionId: over.sessionId,
  allowedDomains: over.allowedDomains,
  inputPrefix: undefined,
});

/** What the client gets for what `fn` throws: status and JSON body, as the one error mapper makes them. */
function refusal(fn: () => unknown): { status: number; body: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    const { status, body } = toErrorResponse(err);
    return { status, body };
  }
  throw new Error('expected a refusal');
}

const BAD_ID =
  'session_id must be 1-128 characters of letters, digits, ".", "_" or "-", starting with a letter or digit; omit it to start a new session.';

describe('admitRequest', () => {
  it('takes the header session over the body, the body over a new one', () => {
    expect(admitRequest(req({ sessionId: 'body' }), { sessionId: 'header' }, facts()).sessionId).toBe('header');
    expect(admitRequest(req({ sessionId: 'body' }), {}, facts()).sessionId).toBe('body');
    expect(admitRequest(req(), {}, facts(), () => 'fresh')).toEqual({ sessionId: 'fresh', egress: undefined, mcp: { servers: [] } });
  });

  it.each([
    ['the body', req({ sessionId: '../x' }), {}],
    ['the header', req({ sessionId: 'fine' }), { sessionId: '.hidden' }],
  ])('refuses an unsafe session id from %s: 400 invalid_request', (_, request, ctx) => {
    expect(refusal(() => admitRequest(request, ctx, facts()))).toEqual({
      status: 400,
      body: { message: BAD_ID, code: 'invalid_request', field: 'session_id' },
    });
  });

  it('refuses without a model provider: 503 no_model_provider', () => {
    expect(refusal(() => admitRequest(req(), {}, facts({ provider: 'none' })))).toEqual({
      status: 503,
      body: { message: NO_PROVIDER_MESSAGE, code: 'no_model_provider' },
    });
  });

  it('refuses while shutting down: 503 shutting_down', () => {
    expect(refusal(() => admitRequest(req(), {}, facts({ closing: true })))).toEqual({
      status: 503,
      body: { message: 'The service is shutting down; retry on its next start.', code: 'shutting_down' },
    });
  });

  it('refuses while the sandbox is unavailable: 503 sandbox_unavailable, with the reason and the fix', () => {
    const sandbox: SandboxStatus = { kind: 'unavailable', reason: 'bwrap (bubblewrap) was not found on PATH' };
    expect(refusal(() => admitRequest(req(), {}, facts({ sandbox })))).toEqual({
      status: 503,
      body: {
        message: `The run sandbox is unavailable: bwrap (bubblewrap) was not found on PATH. ${SANDBOX_UNAVAILABLE_HINT}`,
        code: 'sandbox_unavailable',
      },
    });
  });

  it('checks in order: session id, provider, shutdown, sandbox, egress', () => {
    const unavailable: SandboxStatus = { kind: 'unavailable', reason: 'r' };
    const all = { provider: 'none' as const, closing: true, sandbox: unavailable };
    const code = (request: ReturnType<typeof req>, f: ServiceFacts) => refusal(() => admitRequest(request, {}, f)).body.code;
    expect(code(req({ sessionId: '..', allowedDomains: ['x.org'] }), facts(all))).toBe('invalid_request');
    expect(code(req(), facts(all))).toBe('no_model_provider');
    expect(code(req(), facts({ ...all, provider: undefined }))).toBe('shutting_down');
    expect(code(req({ allowedDomains: ['x.org'] }), facts({ sandbox: unavailable }))).toBe('sandbox_unavailable');
  });
});

describe('admitRequest: egress', () => {
  const allowlist = (...domains: string[]): EgressConfig => ({ kind: 'allowlist', domains });

  it('decides the hosts: the request narrows the deployment; neither: the open network', () => {
    expect(admitRequest(req(), {}, facts()).egress).toBeUndefined();
    expect(admitRequest(req({ allowedDomains: ['x.org'] }), {}, facts()).egress).toEqual(['x.org']);
    expect(admitRequest(req(), {}, facts({ egress: allowlist('*.github.com') })).egress).toEqual(['*.github.com']);
    const narrowed = admitRequest(req({ allowedDomains: ['api.github.com'] }), {}, facts({ egress: allowlist('*.github.com') }));
    expect(narrowed.egress).toEqual(['api.github.com']);
  });

  it('an open network needs no sandbox', () => {
    expect(admitRequest(req(), {}, facts({ sandbox: { kind: 'off' } })).egress).toBeUndefined();
  });

  it('refuses hosts outside the deployment allowlist: 400, naming what is allowed', () => {
    const refused = refusal(() =>
      admitRequest(req({ allowedDomains: ['evil.com', 'api.github.com'] }), {}, facts({ egress: allowlist('*.github.com', 'pypi.org') })),
    );
    expect(refused).toEqual({
      status: 400,
      body: {
        message:
          "allowed_domains may only narrow this deployment's egress allowlist; not in it: evil.com. This deployment allows: *.github.com, pypi.org.",
        code: 'invalid_request',
        field: 'allowed_domains',
        allowed: ['*.github.com', 'pypi.org'],
      },
    });
  });

  it('says so when the deployment allows no host but the model endpoint', () => {
    const refused = refusal(() => admitRequest(req({ allowedDomains: ['x.org'] }), {}, facts({ egress: allowlist() })));
    expect(refused.body.message).toBe(
      "allowed_domains may only narrow this deployment's egress allowlist; not in it: x.org. This deployment allows: no host but the model endpoint.",
    );
    expect(refused.body.allowed).toEqual([]);
  });

  it('refuses an allowlist without the sandbox: 400 on allowed_domains', () => {
    expect(refusal(() => admitRequest(req({ allowedDomains: ['x.org'] }), {}, facts({ sandbox: { kind: 'off' } })))).toEqual({
      status: 400,
      body: {
        message:
          'allowed_domains needs the run sandbox, and this service runs without one (--no-sandbox / CCA_SANDBOX=off, as in the AgentCore image, ' +
          'where each session has its own microVM). Remove allowed_domains, or send the task to a service that runs its sandbox.',
        code: 'invalid_request',
        field: 'allowed_domains',
      },
    });
  });

  it('refuses a deployment allowlist without the sandbox too, even when the request names no host', () => {
    const refused = refusal(() => admitRequest(req(), {}, facts({ egress: allowlist('x.org'), sandbox: { kind: 'off' } })));
    expect(refused.status).toBe(400);
    expect(refused.body.field).toBe('allowed_domains');
  });

  it('refuses an allowlist where bubblewrap has no network namespace: 503 egress_unavailable', () => {
    const sandbox: SandboxStatus = { kind: 'bwrap', path: '/usr/bin/bwrap', network: false };
    expect(refusal(() => admitRequest(req({ allowedDomains: ['x.org'] }), {}, facts({ sandbox })))).toEqual({
      status: 503,
      body: {
        message:
          'Runs with an egress allowlist need a network namespace of their own, which bubblewrap cannot create on this machine ' +
          '(a container without that permission?). Remove allowed_domains, or run the service where network namespaces work.',
        code: 'egress_unavailable',
      },
    });
    expect(admitRequest(req(), {}, facts({ sandbox })).egress).toBeUndefined();
  });
});

describe('admitToSession', () => {
  const NOT_FOUND = {
    status: 404,
    body: { message: 'Session s1 was not found; omit session_id to start a new session.', code: 'not_found' },
  };

  it('admits a new session, the caller own one, and any on the unauthenticated runtime', () => {
    expect(() => admitToSession('s1', 'key-a', { existing: undefined, active: false })).not.toThrow();
    expect(() => admitToSession('s1', 'key-a', { existing: { owner_key_id: 'key-a' }, active: false })).not.toThrow();
    expect(() => admitToSession('s1', undefined, { existing: { owner_key_id: 'key-a' }, active: false })).not.toThrow();
    expect(() => admitToSession('s1', undefined, { existing: { owner_key_id: null }, active: false })).not.toThrow();
  });

  it('hides another key session as not found: 404, even while it runs', () => {
    expect(refusal(() => admitToSession('s1', 'key-b', { existing: { owner_key_id: 'key-a' }, active: false }))).toEqual(NOT_FOUND);
    expect(refusal(() => admitToSession('s1', 'key-b', { existing: { owner_key_id: 'key-a' }, active: true }))).toEqual(NOT_FOUND);
    expect(refusal(() => admitToSession('s1', 'key-b', { existing: { owner_key_id: null }, active: false }))).toEqual(NOT_FOUND);
  });

  it('allows one run per session: 409 conflict', () => {
    expect(refusal(() => admitToSession('s1', 'key-a', { existing: { owner_key_id: 'key-a' }, active: true }))).toEqual({
      status: 409,
      body: {
        message: 'Session s1 is already running an invocation; wait for it to finish, or use another session_id.',
        code: 'conflict',
      },
    });
  });
});

describe('assertVisible', () => {
  it('refuses a session that does not exist unless allowed to', () => {
    expect(refusal(() => assertVisible('s1', undefined, undefined)).status).toBe(404);
    expect(() => assertVisible('s1', undefined, undefined, { mayNotExist: true })).not.toThrow();
    expect(() => assertVisible('s1', 'key-a', { owner_key_id: 'key-a' })).not.toThrow();
  });
});

describe('inputsOf (input_s3_prefix at admission)', () => {
  const s3 = { kind: 's3' as const, bucket: 'cca-artifacts', prefix: '' };

  it('copies from the deployment bucket below inputs/, relative to its storage prefix', () => {
    expect(inputsOf(undefined, { kind: 'local' })).toBeUndefined();
    expect(inputsOf({ bucket: undefined, key: 'inputs/job-1/' }, s3)).toEqual({
      key: 'inputs/job-1/',
      shown: 's3://cca-artifacts/inputs/job-1/',
    });
    expect(inputsOf({ bucket: 'cca-artifacts', key: 'team-a/inputs/job-1/' }, { ...s3, prefix: 'team-a' })).toEqual({
      key: 'inputs/job-1/',
      shown: 's3://cca-artifacts/team-a/inputs/job-1/',
    });
  });

  it('refuses with disk storage (use the upload route), another bucket, and a prefix outside inputs/: 400 before anything is recorded', () => {
    const local = refusal(() => inputsOf({ bucket: undefined, key: 'inputs/job-1/' }, { kind: 'local' }));
    expect(local.status).toBe(400);
    expect(local.body).toMatchObject({ field: 'input_s3_prefix' });
    expect(local.body.message).toMatch(/POST \/sessions\/\{session_id\}\/files/);
    const other = refusal(() => inputsOf({ bucket: 'someone-else', key: 'inputs/job-1/' }, s3));
    expect(other.body.message).toMatch(/reads only its own artifact bucket, cca-artifacts/);
    for (const key of ['outputs/20250101_000000_abc/', 'inputs/', 'sessions/x/', 'inputsx/a/']) {
      expect(refusal(() => inputsOf({ bucket: undefined, key }, s3)).body.message, key).toMatch(/must be a folder below inputs\//);
    }
    expect(refusal(() => inputsOf({ bucket: undefined, key: 'inputs/a/' }, { ...s3, prefix: 'team-a' })).body.message).toMatch(
      /below team-a\/inputs\//,
    );
    // Through admitRequest: the same refusal.
    const viaAdmit = refusal(() =>
      admitRequest({ ...req(), inputPrefix: { bucket: undefined, key: 'inputs/a/' } }, {}, facts(), () => 'new-session'),
    );
    expect(viaAdmit.body).toMatchObject({ field: 'input_s3_prefix' });
  });
});
