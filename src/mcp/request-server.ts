/**
 * A request's own MCP server is reached the way a run would reach it: its host must be in the
 * deployment's egress allowlist (if it has one) and its address must not be loopback, private,
 * link-local or metadata (unless `--private-hosts` allows it). The address checked is the one
 * every request goes to (pinnedFetch), so DNS rebinding gets nowhere.
 */
import dns from 'node:dns/promises';
import { addressAllowed, isAllowed, normalizeHost, type EgressConfig, type PrivateAllowance } from '../egress/index.js';
import { ValidationError } from '../errors/index.js';
import { pinnedFetch, type PinnedAddress } from './pinned-fetch.js';
import type { FetchLike } from './fetch.js';

export type Resolve = (host: string) => Promise<{ address: string; family: number }[]>;

/** The deployment's rules for where the service may connect on a request's behalf. */
export interface ReachPolicy {
  egress: EgressConfig;
  privateHosts: PrivateAllowance;
}

/**
 * Checks the server's URL and resolves it to an allowed address; 400 for anything refused.
 * @example const fetch = await reachRequestServer('mine', 'https://mcp.example.com/mcp', policy);
 */
export async function reachRequestServer(
  name: string,
  raw: string,
  policy: ReachPolicy,
  resolve: Resolve = (host) => dns.lookup(host, { all: true }),
): Promise<FetchLike> {
  const field = `mcp_servers.${name}.url`;
  const url = new URL(raw);
  const host = normalizeHost(url.hostname.replace(/^\[|\]$/g, ''));
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const domains = policy.egress.kind === 'allowlist' ? policy.egress.domains : undefined;
  if (!isAllowed({ domains, endpoints: [], private: policy.privateHosts }, host, port)) {
    throw new ValidationError(
      `${field}: ${host} is not in this deployment's egress allowlist (CCA_ALLOWED_DOMAINS), so the service may not connect to it; use a server on an allowed host.`,
      { field: 'mcp_servers', host },
    );
  }
  let addresses: { address: string; family: number }[];
  try {
    addresses = await resolve(host);
  } catch {
    throw new ValidationError(`${field}: the host ${host} could not be resolved; check the URL.`, { field: 'mcp_servers', host });
  }
  const allowed = addresses.find((a) => addressAllowed(policy.privateHosts, host, a.address));
  if (allowed === undefined) {
    throw new ValidationError(
      `${field}: ${host} is at ${addresses[0]?.address ?? 'no address'}, a loopback, private, link-local or metadata address, which the service does not connect to for a request (the operator can allow it with --private-hosts / CCA_PRIVATE_HOSTS).`,
      { field: 'mcp_servers', host },
    );
  }
  const pin: PinnedAddress = { address: allowed.address, family: allowed.family === 6 ? 6 : 4 };
  return pinnedFetch(pin);
}
