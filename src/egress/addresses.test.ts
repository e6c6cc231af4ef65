import type dns from 'node:dns';
import { describe, expect, it } from 'vitest';
import { addressAllowed, guardedLookup, isPublicAddress, NO_PRIVATE_HOSTS, parsePrivateHosts, PrivateAddressError } from './addresses.js';

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.5.6.7',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '169.254.170.2',
    '100.100.100.200',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    'fe80::1',
    'fd00:ec2::254',
    'fc00::5',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    '64:ff9b::10.0.0.1',
    '::127.0.0.1',
    '64:ff9b:0:0:0:0:a9fe:a9fe',
    '0:0:0:0:0:ffff:7f00:1',
    '0000:0000::ffff:10.0.0.1',
    '64:FF9B::7F00:1',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['1.1.1.1', '8.8.8.8', '172.32.0.1', '140.82.112.3', '2606:4700:4700::1111', '::ffff:1.1.1.1', '64:ff9b::8.8.8.8'])(
    'allows %s',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );

  it('is false for anything that is not an IP address', () => {
    expect(isPublicAddress('example.com')).toBe(false);
    expect(isPublicAddress('')).toBe(false);
  });
});

describe('the operator’s private hosts', () => {
  const allow = parsePrivateHosts(['registry.internal', '*.corp.example', '10.1.0.0/16', '127.0.0.2', 'fd00::/8']);

  it('lets a named host reach its private address, and ranges any name', () => {
    expect(addressAllowed(allow, 'registry.internal', '10.9.9.9')).toBe(true);
    expect(addressAllowed(allow, 'git.corp.example', '192.168.0.4')).toBe(true);
    expect(addressAllowed(allow, 'anything.example', '10.1.44.5')).toBe(true);
    expect(addressAllowed(allow, '127.0.0.2', '127.0.0.2')).toBe(true);
    expect(addressAllowed(allow, 'x.example', 'fd00::1')).toBe(true);
    expect(addressAllowed(allow, 'x.example', '::ffff:10.1.0.9')).toBe(true);
  });

  it('allows nothing else that is private', () => {
    expect(addressAllowed(allow, 'anything.example', '10.2.0.1')).toBe(false);
    expect(addressAllowed(allow, 'registry.internal.evil', '10.9.9.9')).toBe(false);
    expect(addressAllowed(allow, '127.0.0.3', '127.0.0.3')).toBe(false);
    expect(addressAllowed(NO_PRIVATE_HOSTS, 'localhost', '127.0.0.1')).toBe(false);
    expect(addressAllowed(NO_PRIVATE_HOSTS, 'example.com', '93.184.216.34')).toBe(true);
  });

  it('refuses entries that are not hosts or ranges', () => {
    expect(() => parsePrivateHosts(['10.0.0.0/33'])).toThrow(/longer than 32 bits/);
    expect(() => parsePrivateHosts(['example.com/8'])).toThrow(/not an IP range/);
  });
});

describe('guardedLookup', () => {
  /** A resolver that answers from a table, as dns.lookup would with `all`. */
  const resolver = (table: Record<string, string[]>) =>
    ((host: string, _opts: dns.LookupAllOptions, cb: (err: NodeJS.ErrnoException | null, a: dns.LookupAddress[]) => void) => {
      const found = table[host];
      if (found === undefined) return cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), []);
      cb(
        null,
        found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );
    }) as unknown as typeof dns.lookup;
  const lookupOf = (table: Record<string, string[]>, allow = NO_PRIVATE_HOSTS) => {
    const lookup = guardedLookup(allow, resolver(table));
    return (host: string, all = false) =>
      new Promise<{ err: Error | null; address: unknown }>((resolve) => lookup(host, { all }, (err, address) => resolve({ err, address })));
  };

  it('refuses a name that resolves only to loopback or metadata, naming the address', async () => {
    const lookup = lookupOf({ 'rebind.example': ['127.0.0.1'], 'meta.example': ['169.254.169.254', 'fd00:ec2::254'] });
    const loop = await lookup('rebind.example');
    expect(loop.err).toBeInstanceOf(PrivateAddressError);
    expect(loop.err?.message).toMatch(/^rebind\.example is at 127\.0\.0\.1, a loopback, private, link-local or metadata address/);
    expect((await lookup('meta.example')).err).toBeInstanceOf(PrivateAddressError);
  });

  it('hands back only the public addresses of a name that has both, so the connection goes where it was checked', async () => {
    const lookup = lookupOf({ 'mixed.example': ['10.0.0.1', '1.2.3.4', '::1', '2606:4700::1'] });
    expect(await lookup('mixed.example')).toEqual({ err: null, address: '1.2.3.4' });
    expect((await lookup('mixed.example', true)).address).toEqual([
      { address: '1.2.3.4', family: 4 },
      { address: '2606:4700::1', family: 6 },
    ]);
  });

  it('passes a resolver failure on, and lets the operator’s hosts through', async () => {
    expect((await lookupOf({})('nowhere.example')).err?.message).toMatch(/ENOTFOUND/);
    const allowed = lookupOf({ 'registry.internal': ['10.0.0.7'] }, parsePrivateHosts(['registry.internal']));
    expect(await allowed('registry.internal')).toEqual({ err: null, address: '10.0.0.7' });
  });
});
