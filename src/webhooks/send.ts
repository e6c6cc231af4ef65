/**
 * One delivery attempt: a POST to the webhook URL, connected to an address checked with the egress
 * proxy's rules. The name is resolved once and the connection goes to exactly the address that
 * passed (no second lookup a rebinding DNS could answer differently); IP literals are checked
 * directly. No redirect is followed, the whole attempt has one deadline, and at most a few KiB of
 * the answer are read.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { addressAllowed, guardedLookup, PrivateAddressError, type PrivateAllowance } from '../egress/index.js';
import { urlHost } from './url-rules.js';

/** Bytes of an answer read (the rest is not waited for). */
const MAX_ANSWER_BYTES = 4096;

/** What one attempt sends, and to what it may connect. */
export interface Attempt {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Non-public hosts and ranges the operator allows (CCA_PRIVATE_HOSTS). */
  allow: PrivateAllowance;
  /** Resolves names (default dns.lookup); tests point a name at an address with it. */
  resolve?: typeof dns.lookup;
  /** Aborts the attempt (the service is stopping). */
  signal?: AbortSignal;
}

/**
 * What happened: the receiver answered (any status); the address is one webhooks may not reach
 * (final: retrying cannot help); or the attempt failed on the way (DNS, connection, TLS, deadline).
 */
export type AttemptResult =
  | { kind: 'answered'; status: number; body: string; location?: string | undefined }
  | { kind: 'blocked'; error: string }
  | { kind: 'failed'; error: string };

/**
 * Makes one attempt; never throws.
 * @example const result = await attemptDelivery({ url, headers, body, timeoutMs: 15_000, allow: config.privateHosts });
 */
export function attemptDelivery(a: Attempt): Promise<AttemptResult> {
  let url: URL;
  try {
    url = new URL(a.url);
  } catch {
    return Promise.resolve({ kind: 'blocked', error: 'the webhook URL is not a URL' });
  }
  const host = urlHost(url);
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return Promise.resolve({ kind: 'blocked', error: `${url.protocol} is not http(s)` });
  if (net.isIP(host) !== 0 && !addressAllowed(a.allow, host, host)) {
    return Promise.resolve({
      kind: 'blocked',
      error: new PrivateAddressError(host, host).message.replace('runs may not', 'webhooks may not'),
    });
  }
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      a.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(
      {
        method: 'POST',
        protocol: url.protocol,
        hostname: host,
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        headers: { ...a.headers, 'content-length': String(Buffer.byteLength(a.body)) },
        // A fresh connection each time: a pooled one would skip the address check of this attempt.
        agent: false,
        lookup: guardedLookup(a.allow, a.resolve) as unknown as net.LookupFunction,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          finish({
            kind: 'answered',
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER_BYTES),
            location: typeof res.headers.location === 'string' ? res.headers.location : undefined,
          });
          req.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_ANSWER_BYTES) chunks.push(chunk);
          size += chunk.length;
          // The status is what counts: a receiver streaming a large answer does not hold the slot.
          if (size >= MAX_ANSWER_BYTES) done();
        });
        res.on('end', done);
        res.on('error', done);
      },
    );
    const timer = setTimeout(() => {
      finish({ kind: 'failed', error: `no answer within ${a.timeoutMs / 1000} s` });
      req.destroy();
    }, a.timeoutMs);
    const onAbort = () => {
      finish({ kind: 'failed', error: 'the service stopped during the attempt' });
      req.destroy();
    };
    a.signal?.addEventListener('abort', onAbort);
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof PrivateAddressError || err.code === 'EPRIVATEADDRESS') {
        finish({ kind: 'blocked', error: err.message.replace('runs may not', 'webhooks may not') });
      } else {
        finish({ kind: 'failed', error: describeError(err, host) });
      }
    });
    req.end(a.body);
  });
}

function describeError(err: NodeJS.ErrnoException, host: string): string {
  switch (err.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${host} could not be resolved (${err.code})`;
    case 'ECONNREFUSED':
      return `${host} refused the connection`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `the connection to ${host} was dropped before an answer`;
    default:
      return err.code === undefined ? err.message : `${err.message} (${err.code})`;
  }
}
