/**
 * The egress proxy of one run: an HTTP proxy on a Unix socket, the only way out of a sandbox
 * without a network. It tunnels CONNECT (HTTPS and anything else over TCP) and forwards plain
 * HTTP requests with an absolute URL, each to a host the run's policy allows; the rest get a 403
 * that names the host and how to allow it. The proxy resolves names itself (the run needs no DNS)
 * and connects only to an address it checked: never loopback, private or metadata ones unless the
 * operator allows them. Requests in origin form (`POST /v1/messages`) are not proxy requests: they
 * go to `onOriginRequest`, the credential broker's way in.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { addressAllowed, guardedLookup, PrivateAddressError } from './addresses.js';
import { normalizeHost } from './domains.js';
import { isAllowed, type EgressPolicy } from './policy.js';

/** A host the run tried to reach and was refused, and how often. */
export interface DeniedConnection {
  host: string;
  port: number;
  attempts: number;
}

export interface EgressProxy {
  socketPath: string;
  /** Refused connections so far, in the order first seen (the first MAX_REPORTED_DENIALS hosts and ports). */
  denied(): DeniedConnection[];
  /** Stops listening and cuts every open connection and tunnel. */
  close(): Promise<void>;
}

export interface EgressProxyOptions {
  socketPath: string;
  policy: EgressPolicy;
  /** Called the first time each host:port is refused. */
  onDenied?: (host: string, port: number) => void;
  /** How long connecting to a host may take. */
  connectTimeoutMs?: number;
  /** Serves requests in origin form (a path, not a URL); none: they get a 400. */
  onOriginRequest?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
}

/** How many distinct refused host:port pairs are recorded and reported; later ones are refused silently. */
export const MAX_REPORTED_DENIALS = 100;

/** Connections one run may hold open through its proxy at once. */
export const MAX_CONNECTIONS = 256;

/** Headers that belong to one hop (RFC 9110 7.6.1), plus the proxy's own. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'upgrade',
]);

/**
 * Starts a proxy listening on `socketPath` (which must not exist yet).
 * @example const proxy = await startEgressProxy({ socketPath, policy: { domains: ['github.com'], endpoints } })
 */
export async function startEgressProxy(opts: EgressProxyOptions): Promise<EgressProxy> {
  const connectTimeoutMs = opts.connectTimeoutMs ?? 30_000;
  const denied = new Map<string, DeniedConnection>();
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };

  /**
   * Why the run may not connect to `host` by its name (or, for an IP literal, by its address), the
   * refusal recorded and reported; undefined: it may.
   */
  const refusalOf = (host: string, port: number): string | undefined => {
    let refusal: string | undefined;
    if (net.isIP(host) !== 0 && !addressAllowed(opts.policy.private, host, host)) {
      refusal = `cca egress: ${new PrivateAddressError(host, host).message}.\n`;
    } else if (!isAllowed(opts.policy, host, port)) {
      refusal =
        `cca egress: ${host} is not in this run's allowed domains. ` +
        "Ask for it in the request's allowed_domains (within the deployment's CCA_ALLOWED_DOMAINS), or do without it.\n";
    }
    if (refusal !== undefined) deny(host, port);
    return refusal;
  };
  const deny = (host: string, port: number): void => {
    const key = `${host}:${port}`;
    const seen = denied.get(key);
    if (seen !== undefined) seen.attempts += 1;
    // A run that tries host after host must not grow the report (and the events) without end.
    else if (denied.size < MAX_REPORTED_DENIALS) {
      denied.set(key, { host, port, attempts: 1 });
      try {
        opts.onDenied?.(host, port);
      } catch {
        // Reporting (an event in SQLite) failed: the refusal stands, and a throw here would be uncaught.
      }
    }
  };
  const lookup = guardedLookup(opts.policy.private);
  /** A refusal found on resolving the name: reported like one found on the name. */
  const failure = (err: Error, host: string, port: number): { status: number; message: string } => {
    if (err instanceof PrivateAddressError) {
      deny(host, port);
      return { status: 403, message: `cca egress: ${err.message}.\n` };
    }
    return { status: 502, message: `cca egress: could not connect to ${host}:${port}: ${err.message}\n` };
  };

  const server = http.createServer({ requestTimeout: 0 });
  // Each connection holds descriptors in the service: a run may not take them all.
  server.maxConnections = MAX_CONNECTIONS;
  server.on('connection', track);

  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    // The server stops watching a CONNECT socket: an error on it (a reset from the run) would
    // otherwise be unhandled and take the service down.
    client.on('error', () => client.destroy());
    const target = parseAuthority(req.url ?? '');
    if (target === undefined) return answerRaw(client, 400, 'cca egress: CONNECT needs host:port.\n');
    const refused = refusalOf(target.host, target.port);
    if (refused !== undefined) return answerRaw(client, 403, refused);
    const upstream = net.connect({ host: target.host, port: target.port, lookup });
    track(upstream);
    upstream.setTimeout(connectTimeoutMs, () => upstream.destroy(new Error(`no connection within ${connectTimeoutMs} ms`)));
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      upstream.setTimeout(0);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', (err) => {
      if (!connected && client.writable) {
        const { status, message } = failure(err, target.host, target.port);
        answerRaw(client, status, message);
      } else client.destroy();
    });
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  });

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    req.on('error', () => res.destroy());
    res.on('error', () => req.destroy());
    if (opts.onOriginRequest !== undefined && (req.url ?? '').startsWith('/')) return opts.onOriginRequest(req, res);
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      return answer(res, 400, "cca egress: this is the run's proxy; send requests through HTTP_PROXY with an absolute http:// URL.\n");
    }
    if (url.protocol !== 'http:') return answer(res, 400, `cca egress: only http:// is forwarded; use CONNECT for ${url.protocol}//.\n`);
    const host = normalizeHost(url.hostname);
    const port = url.port === '' ? 80 : Number(url.port);
    const refused = refusalOf(host, port);
    if (refused !== undefined) return answer(res, 403, refused);
    const headers = { ...req.headers };
    const named = String(req.headers.connection ?? '')
      .split(',')
      .map((n) => n.trim().toLowerCase());
    for (const name of Object.keys(headers)) if (HOP_BY_HOP.has(name) || named.includes(name)) delete headers[name];
    // The host connected to is the one the request names (RFC 9112 3.2.2): no other virtual host.
    headers.host = url.host;
    const upstream = http.request({ host, port, method: req.method, path: url.pathname + url.search, headers, agent: false, lookup });
    upstream.setTimeout(connectTimeoutMs, () => upstream.destroy(new Error(`no answer within ${connectTimeoutMs} ms`)));
    upstream.on('socket', (s) => track(s));
    upstream.on('response', (up) => {
      upstream.setTimeout(0);
      const out = { ...up.headers };
      for (const name of Object.keys(out)) if (HOP_BY_HOP.has(name)) delete out[name];
      up.on('error', () => res.destroy());
      try {
        res.writeHead(up.statusCode ?? 502, up.statusMessage, out);
      } catch {
        // A status line or header Node will not send on (odd characters): a throw here would be
        // uncaught and end the service. The run sees its connection closed instead.
        up.destroy();
        return res.destroy();
      }
      up.pipe(res);
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) {
        const { status, message } = failure(err, host, port);
        answer(res, status, message);
      } else res.destroy();
    });
    // A run that goes away mid-request leaves nothing open behind it.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });

  server.on('clientError', (_err, socket: net.Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.socketPath, () => {
      server.off('error', reject);
      // Past listening, an error (e.g. out of file descriptors on accept) must not crash the service.
      server.on('error', () => undefined);
      resolve();
    });
  });

  return {
    socketPath: opts.socketPath,
    denied: () => [...denied.values()].map((d) => ({ ...d })),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
      fs.rmSync(opts.socketPath, { force: true });
    },
  };
}

/** `host:port` of a CONNECT request (`[v6]:port` for IPv6), or undefined when malformed. */
export function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s/]+):(\d{1,5})$/.exec(authority);
  const port = Number(match?.[2]);
  if (match?.[1] === undefined || !(port >= 1 && port <= 65_535)) return undefined;
  return { host: normalizeHost(match[1]), port };
}

function answer(res: http.ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(message) });
  res.end(message);
}

function answerRaw(socket: net.Socket, status: number, message: string): void {
  const reason = http.STATUS_CODES[status] ?? '';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(message)}\r\n` +
      `Connection: close\r\n\r\n${message}`,
  );
}
