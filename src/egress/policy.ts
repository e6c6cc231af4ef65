/**
 * What a run may connect to: the deployment's allowlist (or every public host), narrowed by the
 * request's `allowed_domains`, plus the endpoints a provider the broker does not serve needs.
 * Whatever the names, loopback, private and metadata addresses stay out of reach (addresses.ts).
 */
import type { PrivateAllowance } from './addresses.js';
import { covers, hostMatches, type DomainPattern } from './domains.js';

/** The deployment's egress: `open` allows every public host; `allowlist` allows these hosts only. */
export type EgressConfig = { kind: 'open' } | { kind: 'allowlist'; domains: DomainPattern[] };

/** A host pattern on one port: the model endpoint and the credential endpoints it needs. */
export interface Endpoint {
  pattern: DomainPattern;
  port: number;
}

/** The egress of one run: hosts on any port (undefined: every host), endpoints on their port. */
export interface EgressPolicy {
  domains: DomainPattern[] | undefined;
  endpoints: Endpoint[];
  /** Non-public addresses the operator lets runs reach. */
  private: PrivateAllowance;
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

/** Whether a policy lets a run connect to `host` on `port` by its name (its addresses are checked on connecting). */
export function isAllowed(policy: EgressPolicy, host: string, port: number): boolean {
  if (policy.domains === undefined) return true;
  return policy.domains.some((p) => hostMatches(p, host)) || policy.endpoints.some((e) => e.port === port && hostMatches(e.pattern, host));
}
