/**
 * A fetch that connects only to one address checked beforehand: a request's own MCP server is
 * reached at the address the egress rules allowed, whatever its name resolves to later (no DNS
 * rebinding), and redirects are not followed (they could lead anywhere).
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { bodyBytes, type FetchLike } from './fetch.js';

/** An address checked against the egress rules. */
export interface PinnedAddress {
  address: string;
  family: 4 | 6;
}

/** Statuses whose answers have no body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * Sends every request to `pin`, keeping the URL's host name for Host and TLS (SNI, certificate).
 * @example pinnedFetch({ address: '93.184.216.34', family: 4 })('https://mcp.example.com/mcp', { method: 'POST', body })
 */
export function pinnedFetch(pin: PinnedAddress): FetchLike {
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all === true) callback(null, [{ address: pin.address, family: pin.family }]);
    else callback(null, pin.address, pin.family);
  };
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(typeof input === 'string' ? input : input.href);
      const signal = init?.signal ?? undefined;
      if (signal?.aborted) return reject(signal.reason);
      const headers: Record<string, string> = {};
      for (const [name, value] of new Headers(init?.headers)) headers[name] = value;
      const body = bodyBytes(init?.body);
      if (body.length > 0) headers['content-length'] = String(body.length);
      const client = url.protocol === 'https:' ? https : http;
      const req = client.request(url, { method: init?.method ?? 'GET', headers, lookup, ...(signal ? { signal } : {}) }, (res) => {
        const answer = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined) continue;
          for (const v of Array.isArray(value) ? value : [value]) answer.append(name, v);
        }
        const status = res.statusCode ?? 502;
        if (NULL_BODY.has(status)) res.resume();
        const stream = NULL_BODY.has(status) ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
        resolve(new Response(stream, { status, statusText: res.statusMessage ?? '', headers: answer }));
      });
      req.on('error', reject);
      req.end(body);
    });
}
