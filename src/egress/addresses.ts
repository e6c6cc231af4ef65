/**
 * Which addresses a run may connect to once a name is resolved. Loopback (the service, other runs'
 * servers), private networks, link-local (the cloud metadata service at 169.254.169.254) and the
 * other special ranges are refused unless the operator allows a host or range explicitly. The check
 * is on the address the proxy connects to, not on the name: a name that resolves to 127.0.0.1, or
 * that answers differently the second time (DNS rebinding), gets nowhere.
 */
import dns from 'node:dns';
import net from 'node:net';
import { hostMatches, normalizeHost, type DomainPattern } from './domains.js';

/** Ranges no run reaches by default (IANA special-purpose registries, IPv4 and IPv6). */
const SPECIAL_V4: Array<[string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT; some clouds' metadata (100.100.100.200)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local: the instance metadata service, ECS credentials (169.254.170.2)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
];
const SPECIAL_V6: Array<[string, number]> = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local; AWS's IPv6 metadata service (fd00:ec2::254)
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
];

const special = new net.BlockList();
for (const [address, prefix] of SPECIAL_V4) special.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of SPECIAL_V6) special.addSubnet(address, prefix, 'ipv6');

/**
 * The IPv4 address an IPv6 address carries (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, or NAT64
 * 64:ff9b::a.b.c.d), which is where a connection to it ends up.
 */
function embeddedV4(address: string): string | undefined {
  const lower = canonicalV6(address);
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  if (dotted?.[1] !== undefined) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::|::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex?.[1] === undefined || hex[2] === undefined) return undefined;
  const hi = parseInt(hex[1], 16);
  const lo = parseInt(hex[2], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** An IPv6 address in its one canonical text form (zeros compressed, lower case): 64:ff9b:0:0:0:0:a9fe:a9fe → 64:ff9b::a9fe:a9fe. */
function canonicalV6(address: string): string {
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address.toLowerCase();
  }
}

/** Whether `address` (an IP literal) is on the public internet. */
export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  if (family === 4) return !special.check(address, 'ipv4');
  const v4 = embeddedV4(address);
  if (v4 !== undefined) return !special.check(v4, 'ipv4');
  return !special.check(address, 'ipv6');
}

/**
 * What the operator lets runs reach although it is not public: host names (or `*.` patterns)
 * matched against the name the run asked for, and IP addresses or CIDR ranges matched against the
 * resolved address.
 */
export interface PrivateAllowance {
  hosts: DomainPattern[];
  ranges: net.BlockList;
  /** As configured, for messages. */
  entries: string[];
}

/**
 * Parses `--private-hosts` entries: names, `*.` patterns, IP addresses, CIDR ranges.
 * @example parsePrivateHosts(['registry.internal', '10.1.0.0/16'])
 */
export function parsePrivateHosts(entries: string[]): PrivateAllowance {
  const out: PrivateAllowance = { hosts: [], ranges: new net.BlockList(), entries: [] };
  for (const raw of entries) {
    const entry = normalizeHost(raw);
    if (entry === '') continue;
    const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
    const address = cidr?.[1] ?? entry;
    const family = net.isIP(address);
    if (family !== 0) {
      const bits = family === 4 ? 32 : 128;
      const prefix = cidr?.[2] === undefined ? bits : Number(cidr[2]);
      if (prefix > bits) throw new Error(`"${raw}" has a prefix longer than ${bits} bits.`);
      out.ranges.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
    } else if (cidr !== null) {
      throw new Error(`"${raw}" is not an IP range such as 10.0.0.0/8.`);
    } else out.hosts.push(entry);
    out.entries.push(entry);
  }
  return out;
}

/** Nothing beyond the public internet. */
export const NO_PRIVATE_HOSTS: PrivateAllowance = parsePrivateHosts([]);

/** Whether a connection asked for as `host` may go to `address`. */
export function addressAllowed(allow: PrivateAllowance, host: string, address: string): boolean {
  if (isPublicAddress(address)) return true;
  if (allow.hosts.some((p) => hostMatches(p, host))) return true;
  const v4 = net.isIPv6(address) ? embeddedV4(address) : undefined;
  if (v4 !== undefined) return allow.ranges.check(v4, 'ipv4');
  return allow.ranges.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4');
}

/** A name resolved only to addresses the run may not reach. */
export class PrivateAddressError extends Error {
  override name = 'PrivateAddressError';
  readonly code = 'EPRIVATEADDRESS';
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(
      `${host} is ${address === host ? '' : `at ${address}, `}a loopback, private, link-local or metadata address, which runs may not reach` +
        ' (the operator can allow it with --private-hosts / CCA_PRIVATE_HOSTS)',
    );
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net.connect and http.request that resolves `host` and hands back only an address
 * the run may reach: the connection then goes to exactly the address that was checked.
 * @example net.connect({ host, port, lookup: guardedLookup(allow) })
 */
export function guardedLookup(allow: PrivateAllowance, resolve: typeof dns.lookup = dns.lookup) {
  return function lookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err !== null) return callback(err, '');
      const list = addresses as dns.LookupAddress[];
      const ok = list.filter((a) => addressAllowed(allow, hostname, a.address));
      const first = ok[0];
      if (first === undefined) return callback(new PrivateAddressError(hostname, list[0]?.address ?? hostname), '');
      if (options.all === true) return callback(null, ok);
      callback(null, first.address, first.family);
    });
  };
}
