import { describe, expect, it } from 'vitest';
import { NO_PRIVATE_HOSTS, parsePrivateHosts } from '../egress/index.js';
import { ValidationError } from '../errors/index.js';
import { checkWebhookUrl } from './url-rules.js';

const refused = (url: string, allow = NO_PRIVATE_HOSTS) => {
  try {
    checkWebhookUrl(url, allow);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as Error).message;
  }
  throw new Error(`${url} was accepted`);
};

describe('checkWebhookUrl', () => {
  it('accepts https URLs to public hosts and names (names are checked when delivering)', () => {
    for (const url of [
      'https://example.com/hooks',
      'https://hooks.example.com:8443/a?b=c',
      'https://93.184.215.14/x',
      'https://localhost/x',
    ]) {
      expect(checkWebhookUrl(url, NO_PRIVATE_HOSTS).href).toBe(new URL(url).href);
    }
  });

  it.each([
    ['http://example.com/hooks', /must use https/],
    ['ftp://example.com/x', /must be an https URL; got the scheme "ftp"/],
    ['not a url', /is not a URL/],
    ['https://user:pw@example.com/x', /must not carry credentials/],
    ['https://127.0.0.1/x', /127\.0\.0\.1, a loopback, private, link-local or metadata address/],
    ['https://169.254.169.254/latest/meta-data', /169\.254\.169\.254/],
    ['https://[::1]/x', /::1/],
    ['https://[::ffff:10.0.0.1]/x', /loopback, private/],
    ['https://2130706433/x', /127\.0\.0\.1/],
    ['https://0x7f.1/x', /127\.0\.0\.1/],
    [`https://example.com/${'a'.repeat(2100)}`, /at most 2048/],
  ])('refuses %s', (url, message) => {
    expect(refused(url)).toMatch(message);
  });

  it('lets the operator allow private hosts, over http too, and nothing else over http', () => {
    const allow = parsePrivateHosts(['127.0.0.2', 'hooks.internal']);
    expect(checkWebhookUrl('http://127.0.0.2:9000/x', allow).port).toBe('9000');
    expect(checkWebhookUrl('http://hooks.internal/x', allow).host).toBe('hooks.internal');
    expect(checkWebhookUrl('https://127.0.0.2/x', allow).host).toBe('127.0.0.2');
    expect(refused('http://127.0.0.1/x', allow)).toMatch(/loopback/);
    expect(refused('http://example.com/x', allow)).toMatch(/must use https/);
  });
});
