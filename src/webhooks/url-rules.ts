/**
 * Which URLs a webhook may go to, checked when a request (or `cca keys`) names one: https, or http
 * only to a host of the operator's own network (CCA_PRIVATE_HOSTS); no credentials in it; an IP
 * address only if it is public or allowed. A host name is not resolved here: what it resolves to
 * can change, so delivery resolves it again and checks the address it connects to (send.ts).
 */
import net from 'node:net';
import { addressAllowed, hostMatches, isPublicAddress, type PrivateAllowance } from '../egress/index.js';
import { ValidationError } from '../errors/index.js';
import { WEBHOOK_URL_MAX } from '../schemas/webhooks.js';

/** The host of a URL without IPv6 brackets, as a connection would use it. */
export function urlHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * The parsed URL if a webhook may be sent to it; throws ValidationError saying what is wrong and
 * how to fix it, naming `field` (e.g. `webhook.url`, `--webhook-url`).
 * @example checkWebhookUrl('https://example.com/hooks', NO_PRIVATE_HOSTS) // URL
 */
export function checkWebhookUrl(raw: string, allow: PrivateAllowance, field = 'webhook.url'): URL {
  const refuse = (why: string): never => {
    throw new ValidationError(`${field} ${why}`, { field });
  };
  if (raw.length > WEBHOOK_URL_MAX) refuse(`is ${raw.length} characters; at most ${WEBHOOK_URL_MAX} are allowed.`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse(`is not a URL; give an absolute https URL such as https://example.com/hooks/cca.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') refuse(`must be an https URL; got the scheme "${url.protocol.slice(0, -1)}".`);
  if (url.username !== '' || url.password !== '') {
    refuse('must not carry credentials (user:password@): the service signs every delivery, so verify the signature instead.');
  }
  const host = urlHost(url);
  if (net.isIP(host) !== 0 && !addressAllowed(allow, host, host)) {
    refuse(
      `points at ${host}, a loopback, private, link-local or metadata address, which webhooks may not reach ` +
        '(the operator can allow it with --private-hosts / CCA_PRIVATE_HOSTS).',
    );
  }
  if (url.protocol === 'http:' && !isOperatorsOwn(allow, host)) {
    refuse(
      'must use https: events carry results and file links. Plain http goes only to hosts the operator lists in --private-hosts / CCA_PRIVATE_HOSTS.',
    );
  }
  return url;
}

/** A host the operator named in --private-hosts (by name, or an address in its ranges). */
function isOperatorsOwn(allow: PrivateAllowance, host: string): boolean {
  if (net.isIP(host) !== 0) return !isPublicAddress(host) && addressAllowed(allow, host, host);
  return allow.hosts.some((p) => hostMatches(p, host));
}
