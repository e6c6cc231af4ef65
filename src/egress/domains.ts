/**
 * Domain patterns of an egress allowlist, in Claude Code's own sandbox syntax: `example.com`
 * matches that host only, `*.example.com` matches its subdomains (not example.com itself). IP
 * literals are hosts like any other. Ports are not part of a pattern: an allowed host is allowed
 * on every port.
 */
import net from 'node:net';

/** One valid pattern, lower-case, without a trailing dot or IPv6 brackets. */
export type DomainPattern = string;

/** Most entries one allowlist may have (deployment or request). */
export const MAX_DOMAINS = 256;

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** Why `raw` is not a valid pattern, or undefined when it is. */
export function patternProblem(raw: string): string | undefined {
  const value = normalizeHost(raw);
  if (value === '') return 'an empty entry';
  if (value === '*') return '"*" (to allow every host, leave the allowlist out)';
  if (net.isIPv6(value)) return undefined;
  const name = value.startsWith('*.') ? value.slice(2) : value;
  if (name.length > 253 || !name.split('.').every((label) => LABEL.test(label))) {
    const shown = raw.length > 60 ? `${raw.slice(0, 60)}...` : raw;
    return `${JSON.stringify(shown)} (a host name such as example.com, a subdomain pattern such as *.example.com, or an IP address)`;
  }
  return undefined;
}

/** Lower case, no trailing dot, no brackets around an IPv6 address. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/**
 * Parses a list given as a comma-separated string or an array; `none` (alone) is the empty list.
 * Throws an Error naming every invalid entry; callers wrap it in their own error type.
 * @example parseDomainList('github.com, *.npmjs.org') // ['github.com', '*.npmjs.org']
 */
export function parseDomainList(raw: string | string[], what: string): DomainPattern[] {
  const entries = (Array.isArray(raw) ? raw : raw.split(',')).map((e) => e.trim());
  // "a.com," and "" are lists with nothing after the comma, not entries that are empty.
  const given = Array.isArray(raw) ? entries : entries.filter((e) => e !== '');
  const none = given.filter((e) => e.toLowerCase() === 'none').length;
  if (none > 0 && given.length === none) return [];
  // "none" is a word, not a host: with hosts beside it the list says two things.
  if (none > 0) throw new Error(`${what} has "none" beside host names; give either "none" alone or the hosts.`);
  if (given.length > MAX_DOMAINS) throw new Error(`${what} has ${given.length} entries; at most ${MAX_DOMAINS} are allowed.`);
  const problems = given.map(patternProblem).filter((p): p is string => p !== undefined);
  if (problems.length > 0) {
    // A few examples say what is wrong; a hostile list must not turn into a megabyte of error.
    const shown = problems.slice(0, 3).join(', ') + (problems.length > 3 ? ` and ${problems.length - 3} more` : '');
    throw new Error(`${what} has invalid entries: ${shown}.`);
  }
  return [...new Set(given.map(normalizeHost))];
}

/** Whether `host` (a name or an IP address) matches `pattern`. */
export function hostMatches(pattern: DomainPattern, host: string): boolean {
  const h = normalizeHost(host);
  // An IP address has no subdomains: `*.0.0.1` must not match 127.0.0.1.
  if (pattern.startsWith('*.')) return net.isIP(h) === 0 && h.endsWith(pattern.slice(1));
  return h === pattern;
}

/** Whether every host `narrower` matches is matched by some pattern of `wider`. */
export function covers(wider: DomainPattern[], narrower: DomainPattern): boolean {
  if (!narrower.startsWith('*.')) return wider.some((p) => hostMatches(p, narrower));
  // *.a.example.com is within *.example.com; nothing but a wildcard holds a wildcard.
  const base = narrower.slice(2);
  return wider.some((p) => p.startsWith('*.') && (base === p.slice(2) || base.endsWith(p.slice(1))));
}
