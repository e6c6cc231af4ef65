/**
 * One JSON request to a GitHub REST API, connected only where the egress rules allow: the
 * connection resolves its host through the given `lookup` (the service's `guardedLookup`), so the
 * address checked is the address connected to, and a name that answers differently the second
 * time (DNS rebinding) gets nowhere. No pooled socket is reused (each request has its own agent),
 * redirects are not followed, and the token is never part of an error.
 */
import http from 'node:http';
import https from 'node:https';
import net, { type LookupFunction } from 'node:net';
import { GitHubError } from './github-error.js';

/** The options every GitHub call takes. */
export interface GitHubConnection {
  /** `https://api.github.com` (default), or GitHub Enterprise Server's `https://HOST/api/v3`. */
  apiUrl?: string;
  token: string;
  /** Resolves and vets the API host, e.g. `guardedLookup(config.privateHosts)` from egress/. */
  lookup: LookupFunction;
  /** For the whole call, connection to last byte (default 15 s). */
  timeoutMs?: number;
  userAgent?: string;
}

export const GITHUB_API_URL = 'https://api.github.com';
const DEFAULT_TIMEOUT_MS = 15_000;
const MAX_BODY_BYTES = 2 ** 20;

/** GitHub's answer: its status, headers and parsed JSON (undefined if the body was not JSON). */
export interface GitHubResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  json: unknown;
}

/**
 * Sends `method path` (path relative to the API root, with its query) and parses the JSON answer;
 * any status resolves. Rejects with GitHubError 'network' or 'timeout'.
 * @example const res = await githubRequest(conn, 'GET', '/repos/o/r');
 */
export async function githubRequest(conn: GitHubConnection, method: string, path: string, body?: unknown): Promise<GitHubResponse> {
  const base = new URL((conn.apiUrl ?? GITHUB_API_URL).replace(/\/+$/, '') + path);
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new GitHubError('unexpected', `The GitHub API URL must be http(s); got ${base.protocol}`);
  }
  // Node connects to an IP literal without calling `lookup`: vet it the same way first.
  const literal = base.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(literal) !== 0) await vet(conn.lookup, literal, `${method} ${base.host}${base.pathname}`);
  return send(conn, method, base, body);
}

function vet(lookup: LookupFunction, host: string, where: string): Promise<void> {
  return new Promise((resolve, reject) => lookup(host, { all: true }, (err) => (err ? reject(networkError(where, err)) : resolve())));
}

function send(conn: GitHubConnection, method: string, base: URL, body: unknown): Promise<GitHubResponse> {
  const path = base.pathname;
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const client = base.protocol === 'https:' ? https : http;
  const timeoutMs = conn.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const where = `${method} ${base.host}${path}`;

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: GitHubError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(err);
    };
    const req = client.request(
      base,
      {
        method,
        lookup: conn.lookup,
        agent: false,
        headers: {
          Accept: 'application/vnd.github+json',
          Authorization: `Bearer ${conn.token}`,
          'X-GitHub-Api-Version': '2022-11-28',
          'User-Agent': conn.userAgent ?? 'claude-code-agent',
          ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) fail(new GitHubError('unexpected', `${where}: the answer is larger than ${MAX_BODY_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('error', (err) => fail(networkError(where, err)));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json: parseJson(Buffer.concat(chunks), conn.token) });
        });
      },
    );
    const timer = setTimeout(() => fail(new GitHubError('timeout', `${where}: GitHub did not answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => fail(networkError(where, err)));
    req.end(payload);
  });
}

function networkError(where: string, err: Error): GitHubError {
  // The message of a connection error names the host and address, never the headers sent.
  return new GitHubError('network', `${where}: could not reach GitHub: ${err.message}`);
}

/** The JSON of a body, with any echo of the token blanked: what GitHub says may end up in a message. */
function parseJson(body: Buffer, token: string): unknown {
  const text = body.toString('utf8');
  try {
    return JSON.parse(token.length >= 8 ? text.split(token).join('[token]') : text);
  } catch {
    return undefined;
  }
}
