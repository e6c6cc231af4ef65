/**
 * Egress: which hosts and addresses a run may connect to, the per-run proxy that enforces it, and
 * the bridge that is a sandboxed run's only way out.
 */
export {
  BRIDGE_PORT,
  BRIDGE_PROXY_URL,
  BRIDGE_SCRIPT,
  bridgeCommand,
  egressSocketsDir,
  loopbackEndpoints,
  SANDBOX_SOCKET,
  withProxyEnv,
} from './bridge.js';
export {
  addressAllowed,
  guardedLookup,
  isPublicAddress,
  NO_PRIVATE_HOSTS,
  parsePrivateHosts,
  PrivateAddressError,
  type PrivateAllowance,
} from './addresses.js';
export { covers, hostMatches, MAX_DOMAINS, normalizeHost, parseDomainList, patternProblem, type DomainPattern } from './domains.js';
export { EgressNotAllowedError, isAllowed, runDomains, type EgressConfig, type EgressPolicy, type Endpoint } from './policy.js';
export {
  HOP_BY_HOP,
  MAX_REPORTED_DENIALS,
  parseAuthority,
  startEgressProxy,
  type DeniedConnection,
  type EgressProxy,
  type EgressProxyOptions,
} from './proxy.js';
