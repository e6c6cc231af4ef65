import { describe, expect, it } from 'vitest';
import { covers, hostMatches, MAX_DOMAINS, normalizeHost, parseDomainList, patternProblem } from './domains.js';

/** A host name of exactly `length` characters, in labels of at most 63. */
function hostOfLength(length: number): string {
  const labels: string[] = [];
  let left = length;
  while (left > 0) {
    const size = Math.min(63, left);
    labels.push('a'.repeat(size));
    left -= size + 1;
  }
  const name = labels.join('.');
  expect(name).toHaveLength(length);
  return name;
}

/** The message of the Error parseDomainList throws (fails the test if it throws nothing). */
function listError(raw: string | string[]): string {
  try {
    parseDomainList(raw, 'the list');
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(raw).slice(0, 80)} to be refused`);
}

describe('normalizeHost', () => {
  it.each([
    ['GitHub.COM', 'github.com'],
    ['example.com.', 'example.com'],
    ['  Example.com.  ', 'example.com'],
    ['[2001:DB8::1]', '2001:db8::1'],
    ['::1', '::1'],
    ['*.Example.com', '*.example.com'],
  ])('turns %j into %j', (raw, expected) => {
    expect(normalizeHost(raw)).toBe(expected);
  });

  it('leaves a lone bracket alone', () => {
    expect(normalizeHost('[::1')).toBe('[::1');
  });
});

describe('patternProblem', () => {
  it.each([
    'example.com',
    'api.github.com',
    '*.example.com',
    '*.a.example.com',
    'localhost',
    '_dmarc.example.com',
    'a-b.example.com',
    'xn--bcher-kva.example',
    '10.0.0.1',
    '::1',
    '[::1]',
    '2001:db8::1',
    '[2001:DB8::1]',
    'Example.COM.',
  ])('accepts %j', (raw) => {
    expect(patternProblem(raw)).toBeUndefined();
  });

  it.each([
    ['', 'an empty entry'],
    ['   ', 'an empty entry'],
    ['.', 'an empty entry'],
    ['*', '"*" (to allow every host, leave the allowlist out)'],
    // "*." is "*" with a trailing dot.
    ['*.', '"*" (to allow every host, leave the allowlist out)'],
  ])('names the problem of %j', (raw, problem) => {
    expect(patternProblem(raw)).toBe(problem);
  });

  it.each([
    '-example.com',
    'example-.com',
    'a.-b.com',
    'a.b-.com',
    'a..com',
    '*.*.example.com',
    'a.*.example.com',
    'ex*ample.com',
    'example.com:443',
    'https://example.com',
    'example.com/path',
    'exa mple.com',
    '[::1',
    'a.b:c',
    'ünïcode.example',
  ])('refuses %j, quoting it and saying what a pattern looks like', (raw) => {
    const problem = patternProblem(raw);
    expect(problem).toContain(JSON.stringify(raw));
    expect(problem).toContain('a host name such as example.com, a subdomain pattern such as *.example.com, or an IP address');
  });

  it('accepts a 63-character label but not a 64-character one', () => {
    expect(patternProblem(`${'a'.repeat(63)}.com`)).toBeUndefined();
    expect(patternProblem(`${'a'.repeat(64)}.com`)).toBeDefined();
  });

  it('accepts a 253-character name but not a 254-character one, with or without "*."', () => {
    expect(patternProblem(hostOfLength(253))).toBeUndefined();
    expect(patternProblem(`*.${hostOfLength(253)}`)).toBeUndefined();
    expect(patternProblem(`${hostOfLength(253)}.`)).toBeUndefined();
    expect(patternProblem(hostOfLength(254))).toBeDefined();
    expect(patternProblem(`*.${hostOfLength(254)}`)).toBeDefined();
  });

  it('shows at most 60 characters of a long entry', () => {
    const raw = `${'b'.repeat(100)}!.com`;
    const problem = patternProblem(raw) ?? '';
    expect(problem).toContain(`"${'b'.repeat(60)}..."`);
    expect(problem).not.toContain('b'.repeat(61));
  });

  it('shows an entry of exactly 60 characters whole', () => {
    const raw = `${'c'.repeat(59)}!`;
    expect(patternProblem(raw)).toContain(`"${raw}" (`);
  });
});

describe('parseDomainList', () => {
  it('splits a comma-separated string, trimming each entry', () => {
    expect(parseDomainList(' github.com ,*.npmjs.org,  10.0.0.1', 'x')).toEqual(['github.com', '*.npmjs.org', '10.0.0.1']);
  });

  it('takes an array', () => {
    expect(parseDomainList(['github.com', ' *.npmjs.org '], 'x')).toEqual(['github.com', '*.npmjs.org']);
  });

  it.each(['none', 'NONE', ' None '])('reads the string %j as the empty list', (raw) => {
    expect(parseDomainList(raw, 'x')).toEqual([]);
  });

  it('reads ["none"] and [] as the empty list', () => {
    expect(parseDomainList(['none'], 'x')).toEqual([]);
    expect(parseDomainList([], 'x')).toEqual([]);
  });

  it('reads the empty string as the empty list', () => {
    expect(parseDomainList('', 'x')).toEqual([]);
  });

  it('ignores a trailing comma and empty items of a string', () => {
    expect(parseDomainList('github.com,', 'x')).toEqual(['github.com']);
    expect(parseDomainList('github.com,,pypi.org, ,', 'x')).toEqual(['github.com', 'pypi.org']);
  });

  it('refuses an empty entry of an array', () => {
    expect(listError(['github.com', ' '])).toBe('the list has invalid entries: an empty entry.');
  });

  it('normalizes case, trailing dots and IPv6 brackets, then removes duplicates keeping the first order', () => {
    expect(parseDomainList('GitHub.com, pypi.org, github.com., [::1], ::1, PyPI.org', 'x')).toEqual(['github.com', 'pypi.org', '::1']);
  });

  it('takes IPv6 addresses with and without brackets', () => {
    expect(parseDomainList(['[2001:DB8::1]', 'fe80::2'], 'x')).toEqual(['2001:db8::1', 'fe80::2']);
  });

  it('refuses "*" with the way to allow every host', () => {
    expect(listError('github.com,*')).toContain('"*" (to allow every host, leave the allowlist out)');
  });

  it('names the list and every invalid entry when there are at most 3', () => {
    const message = listError('good.com, -bad.com, bad-.com, *');
    expect(message).toMatch(/^the list has invalid entries: /);
    expect(message).toContain('"-bad.com"');
    expect(message).toContain('"bad-.com"');
    expect(message).toContain('"*"');
    expect(message).not.toContain('more');
    expect(message).not.toContain('good.com"');
  });

  it('shows 3 problems and counts the rest', () => {
    const message = listError(['-a.com', '-b.com', '-c.com', '-d.com', '-e.com']);
    expect(message).toContain('"-a.com"');
    expect(message).toContain('"-c.com"');
    expect(message).not.toContain('"-d.com"');
    expect(message).toMatch(/ and 2 more\.$/);
  });

  it('keeps the message short for a hostile list of huge entries', () => {
    const huge = `${'h'.repeat(100_000)}/`;
    const message = listError(Array.from({ length: MAX_DOMAINS }, () => huge));
    expect(message).toContain(`"${'h'.repeat(60)}..."`);
    expect(message).toContain(`and ${MAX_DOMAINS - 3} more`);
    expect(message.length).toBeLessThan(1000);
  });

  it(`takes ${MAX_DOMAINS} entries but not one more, in either form`, () => {
    const names = Array.from({ length: MAX_DOMAINS + 1 }, (_, i) => `host${i}.example.com`);
    expect(parseDomainList(names.slice(0, MAX_DOMAINS), 'x')).toHaveLength(MAX_DOMAINS);
    expect(parseDomainList(`${names.slice(0, MAX_DOMAINS).join(',')},`, 'x')).toHaveLength(MAX_DOMAINS);
    const expected = `the list has ${MAX_DOMAINS + 1} entries; at most ${MAX_DOMAINS} are allowed.`;
    expect(listError(names)).toBe(expected);
    expect(listError(names.join(','))).toBe(expected);
  });
});

describe('hostMatches', () => {
  it('matches an exact pattern to that host only, whatever its case or trailing dot', () => {
    expect(hostMatches('example.com', 'example.com')).toBe(true);
    expect(hostMatches('example.com', 'EXAMPLE.com.')).toBe(true);
    expect(hostMatches('example.com', 'www.example.com')).toBe(false);
    expect(hostMatches('example.com', 'badexample.com')).toBe(false);
    expect(hostMatches('example.com', 'example.com.evil.net')).toBe(false);
  });

  it('matches "*.example.com" to subdomains at any depth', () => {
    expect(hostMatches('*.example.com', 'www.example.com')).toBe(true);
    expect(hostMatches('*.example.com', 'a.b.c.example.com')).toBe(true);
    expect(hostMatches('*.example.com', 'API.Example.COM.')).toBe(true);
  });

  it('does not match "*.example.com" to example.com itself or to look-alikes', () => {
    expect(hostMatches('*.example.com', 'example.com')).toBe(false);
    expect(hostMatches('*.example.com', 'badexample.com')).toBe(false);
    expect(hostMatches('*.example.com', 'example.com.evil.net')).toBe(false);
    expect(hostMatches('*.example.com', 'www.example.org')).toBe(false);
  });

  it('matches IPv6 hosts with or without brackets', () => {
    expect(hostMatches('::1', '[::1]')).toBe(true);
    expect(hostMatches('2001:db8::1', '2001:DB8::1')).toBe(true);
    expect(hostMatches('::1', '::2')).toBe(false);
  });
});

describe('covers', () => {
  it('covers a host with the same host or a wildcard above it', () => {
    expect(covers(['example.com'], 'example.com')).toBe(true);
    expect(covers(['*.example.com'], 'api.example.com')).toBe(true);
    expect(covers(['github.com', '*.example.com'], 'a.b.example.com')).toBe(true);
  });

  it('does not cover a host outside every entry', () => {
    expect(covers(['*.example.com'], 'example.com')).toBe(false);
    expect(covers(['*.example.com'], 'badexample.com')).toBe(false);
    expect(covers(['example.com'], 'api.example.com')).toBe(false);
    expect(covers([], 'example.com')).toBe(false);
  });

  it('covers a wildcard with the same or a wider wildcard', () => {
    expect(covers(['*.example.com'], '*.example.com')).toBe(true);
    expect(covers(['*.example.com'], '*.a.example.com')).toBe(true);
    expect(covers(['*.com'], '*.a.example.com')).toBe(true);
  });

  it('does not cover a wildcard with an exact entry or a narrower or unrelated wildcard', () => {
    expect(covers(['example.com'], '*.example.com')).toBe(false);
    expect(covers(['example.com', 'a.example.com', 'b.example.com'], '*.example.com')).toBe(false);
    expect(covers(['*.a.example.com'], '*.example.com')).toBe(false);
    expect(covers(['*.example.com'], '*.badexample.com')).toBe(false);
    expect(covers(['*.example.com'], '*.example.org')).toBe(false);
  });
});

describe('"none" in a list', () => {
  it('is the empty list alone, also with a trailing comma or in an array', () => {
    expect(parseDomainList('none,', 'x')).toEqual([]);
    expect(parseDomainList(['NONE'], 'x')).toEqual([]);
  });

  it('is refused beside host names, which would make it a host called "none"', () => {
    expect(() => parseDomainList('a.com,none', 'x')).toThrow('x has "none" beside host names');
    expect(() => parseDomainList(['none', 'a.com'], 'x')).toThrow('"none" alone');
  });
});

describe('wildcards and IP addresses', () => {
  it('never match an IP address: an address has no subdomains', () => {
    expect(hostMatches('*.0.0.1', '127.0.0.1')).toBe(false);
    expect(hostMatches('*.1', '10.0.0.1')).toBe(false);
    expect(hostMatches('127.0.0.1', '127.0.0.1')).toBe(true);
    expect(hostMatches('*.0.1', 'a.0.1')).toBe(true);
  });
});
