/**
 * What a run may connect to: the deployment's allowlist (or an open network), narrowed by the
 * request's `allowed_domains`, plus the model endpoint, which every run needs.
 */
import type { ProviderConfig } from '../config/provider.js';
import { covers, hostMatches, normalizeHost, type DomainPattern } from './domains.js';

/** The deployment's egress: `open` shares the host's network; `allowlist` allows these hosts only. */
export type EgressConfig = { kind: 'open' } | { kind: 'allowlist'; domains: DomainPattern[] };

/** A host pattern on one port: the model endpoint and the credential endpoints it needs. */
export interface Endpoint {
  pattern: DomainPattern;
  port: number;
}

/** The egress of one run that is not open: hosts on any port, endpoints on their port. */
export interface EgressPolicy {
  domains: DomainPattern[];
  endpoints: Endpoint[];
}

/** A request asks for hosts its deployment does not allow. */
export class EgressNotAllowedError extends Error {
  override name = 'EgressNotAllowedError';
  constructor(
    readonly outside: DomainPattern[],
    readonly deployment: DomainPattern[],
  ) {
    super(`allowed_domains may only narrow this deployment's egress allowlist; not in it: ${outside.join(', ')}.`);
  }
}

/**
 * The domains a run may reach, or undefined for an open network.
 * @example runDomains({ kind: 'allowlist', domains: ['*.github.com'] }, ['api.github.com']) // ['api.github.com']
 */
export function runDomains(deployment: EgressConfig, requested: DomainPattern[] | undefined): DomainPattern[] | undefined {
  if (deployment.kind === 'open') return requested;
  if (requested === undefined) return deployment.domains;
  const outside = requested.filter((d) => !covers(deployment.domains, d));
  if (outside.length > 0) throw new EgressNotAllowedError(outside, deployment.domains);
  return requested;
}

/** Whether a policy lets a run connect to `host` on `port`. */
export function isAllowed(policy: EgressPolicy, host: string, port: number): boolean {
  return policy.domains.some((p) => hostMatches(p, host)) || policy.endpoints.some((e) => e.port === port && hostMatches(e.pattern, host));
}

/**
 * Where Claude Code must connect to reach its model: the provider's endpoint and, on Bedrock, the
 * credential endpoints its environment points at. The instance metadata service (169.254.169.254)
 * is not among them: pass credentials in the environment, or allow it explicitly.
 */
export function modelEndpoints(provider: ProviderConfig): Endpoint[] {
  const endpoints: Endpoint[] = [];
  const add = (url: string | undefined) => {
    const e = url === undefined ? undefined : endpointOf(url);
    if (e !== undefined) endpoints.push(e);
  };
  if (provider.kind === 'anthropic') add(provider.endpoint);
  if (provider.kind === 'bedrock') {
    const env = provider.env;
    add(provider.endpoint);
    const fastRegion = env.ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION;
    if (fastRegion !== undefined && env.ANTHROPIC_BEDROCK_BASE_URL === undefined) add(`https://bedrock-runtime.${fastRegion}.amazonaws.com`);
    add(env.AWS_CONTAINER_CREDENTIALS_FULL_URI);
    if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI !== undefined) add('http://169.254.170.2');
    if (env.AWS_WEB_IDENTITY_TOKEN_FILE !== undefined) {
      add(`https://sts.${env.AWS_REGION ?? 'us-east-1'}.amazonaws.com`);
      add('https://sts.amazonaws.com');
    }
  }
  if (provider.kind === 'vertex') {
    // Vertex AI (regional and global) and Google's token services, not the rest of googleapis.com
    // (storage.googleapis.com would be a way out).
    const region = provider.env.CLOUD_ML_REGION;
    const hosts = ['aiplatform', 'oauth2', 'sts', 'iamcredentials'];
    if (region !== undefined && region !== 'global') hosts.push(`${region}-aiplatform`);
    for (const h of hosts) endpoints.push({ pattern: `${h}.googleapis.com`, port: 443 });
  }
  return endpoints;
}

function endpointOf(url: string): Endpoint | undefined {
  try {
    const u = new URL(url);
    const port = u.port !== '' ? Number(u.port) : u.protocol === 'http:' ? 80 : 443;
    return { pattern: normalizeHost(u.hostname), port };
  } catch {
    return undefined;
  }
}
