/**
 * The egress proxy against real servers: upstreams on 127.0.0.x with OS-assigned ports, the proxy
 * on a real Unix socket. 127.0.0.2 and 127.0.0.3 are this machine's loopback too, but different
 * hosts to the policy: one allowed, one refused.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REPORTED_DENIALS, parseAuthority, startEgressProxy, type EgressProxy } from './proxy.js';
import { NO_PRIVATE_HOSTS, parsePrivateHosts } from './addresses.js';
/** The tests' upstreams listen on loopback addresses, standing in for internet hosts. */
const LOOPBACK = parsePrivateHosts(['127.0.0.0/8']);

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** An HTTP server on `host` that records every request and answers with `name`. */
async function upstream(host: string, name: string): Promise<{ server: http.Server; port: number; seen: Seen[]; connections: number }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const answer = `${name}:${req.method}:${req.url}`;
      res.writeHead(req.method === 'POST' ? 201 : 200, {
        'content-length': Buffer.byteLength(answer),
        'x-upstream': name,
        'proxy-authenticate': 'Basic realm="upstream"',
      });
      res.end(answer);
    });
  });
  const out = { server, port: 0, seen, connections: 0 };
  server.on('connection', () => (out.connections += 1));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  out.port = (server.address() as AddressInfo).port;
  return out;
}

/** A port on 127.0.0.1 nothing listens on (free a moment ago). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One request to the proxy, the way an HTTP client configured with it sends it. */
function viaProxy(
  socketPath: string,
  opts: { method?: string; path: string; headers?: http.OutgoingHttpHeaders; body?: string },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, agent: false, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.end(opts.body);
  });
}

/**
 * Writes `bytes` on a raw connection to the proxy and collects everything until the proxy (or the
 * tunnel's far end) closes it; `then.send` is written once `then.after` has arrived.
 */
function raw(socketPath: string, bytes: string, then?: { after: string; send: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let got = '';
    let sent = false;
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => {
      got += c;
      if (then !== undefined && !sent && got.includes(then.after)) {
        sent = true;
        socket.write(then.send);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
    socket.write(bytes);
  });
}

const connect = (authority: string) => `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`;
const get = (target: string) => `GET ${target} HTTP/1.1\r\nHost: upstream\r\nConnection: close\r\n\r\n`;

describe('startEgressProxy', () => {
  let dir: string;
  let proxy: EgressProxy;
  let allowed: Awaited<ReturnType<typeof upstream>>;
  let refused: Awaited<ReturnType<typeof upstream>>;
  const denials: string[] = [];

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-proxy-'));
    allowed = await upstream('127.0.0.2', 'allowed');
    refused = await upstream('127.0.0.3', 'refused');
    proxy = await startEgressProxy({
      socketPath: path.join(dir, 'proxy.sock'),
      policy: { domains: ['127.0.0.2', 'example.com'], endpoints: [], private: LOOPBACK },
      onDenied: (host, port) => denials.push(`${host}:${port}`),
    });
  });
  afterAll(async () => {
    await proxy?.close();
    allowed?.server.close();
    refused?.server.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('forwards a plain http request to an allowed host: method, path, body and headers; the answer comes back as is', async () => {
    const res = await viaProxy(proxy.socketPath, {
      method: 'POST',
      path: `http://127.0.0.2:${allowed.port}/x?q=1`,
      headers: {
        host: `127.0.0.2:${allowed.port}`,
        'content-type': 'text/plain',
        'x-custom': 'kept',
        'proxy-authorization': 'Basic c2VjcmV0',
      },
      body: 'the body',
    });
    expect(res).toMatchObject({ status: 201, body: 'allowed:POST:/x?q=1' });
    expect(res.headers['x-upstream']).toBe('allowed');
    const seen = allowed.seen.at(-1);
    expect(seen).toMatchObject({ method: 'POST', url: '/x?q=1', body: 'the body' });
    expect(seen?.headers).toMatchObject({ host: `127.0.0.2:${allowed.port}`, 'content-type': 'text/plain', 'x-custom': 'kept' });
    // Hop-by-hop headers stay on their hop, both ways: the proxy's credentials never reach the host.
    expect(seen?.headers['proxy-authorization']).toBeUndefined();
    expect(res.headers['proxy-authenticate']).toBeUndefined();
  });

  it('sends the host the Host the URL names, not one the run made up, and drops headers named in Connection', async () => {
    await viaProxy(proxy.socketPath, {
      path: `http://127.0.0.2:${allowed.port}/vhost`,
      headers: { host: 'evil.example', connection: 'x-private', 'x-private': 'secret', 'x-public': 'ok' },
    });
    const seen = allowed.seen.at(-1);
    expect(seen?.url).toBe('/vhost');
    expect(seen?.headers.host).toBe(`127.0.0.2:${allowed.port}`);
    expect(seen?.headers['x-private']).toBeUndefined();
    expect(seen?.headers['x-public']).toBe('ok');
  });

  it('refuses a host outside the policy with a 403 naming it; the host never hears of it', async () => {
    const res = await viaProxy(proxy.socketPath, { path: `http://127.0.0.3:${refused.port}/secret`, headers: { host: '127.0.0.3' } });
    expect(res.status).toBe(403);
    expect(res.body).toMatch(/^cca egress: 127\.0\.0\.3 is not in this run's allowed domains\. /);
    expect(refused.connections).toBe(0);
    expect(refused.seen).toEqual([]);
  });

  it('tunnels CONNECT to an allowed host:port: 200, then raw bytes both ways', async () => {
    const before = allowed.seen.length;
    const got = await raw(proxy.socketPath, connect(`127.0.0.2:${allowed.port}`), { after: '\r\n\r\n', send: get('/through-tunnel') });
    expect(got).toMatch(/^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nallowed:GET:\/through-tunnel$/);
    expect(allowed.seen.slice(before).map((s) => s.url)).toEqual(['/through-tunnel']);
  });

  it('passes on bytes sent right behind the CONNECT request, before the 200', async () => {
    const got = await raw(proxy.socketPath, connect(`127.0.0.2:${allowed.port}`) + get('/pipelined'));
    expect(got).toMatch(/^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nallowed:GET:\/pipelined$/);
  });

  it('refuses CONNECT to a host outside the policy with a 403; nothing connects to it', async () => {
    const got = await raw(proxy.socketPath, connect(`127.0.0.3:${refused.port}`));
    expect(got).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(got).toContain("\r\n\r\ncca egress: 127.0.0.3 is not in this run's allowed domains.");
    expect(refused.connections).toBe(0);
  });

  it('answers 400 to a CONNECT without a port, a request without an absolute URL, and an https:// URL', async () => {
    const noPort = await raw(proxy.socketPath, connect('example.com'));
    expect(noPort).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[^]*\r\n\r\ncca egress: CONNECT needs host:port\.\n$/);
    const direct = await raw(proxy.socketPath, get('/'));
    expect(direct).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(direct).toContain('send requests through HTTP_PROXY with an absolute http:// URL');
    const https = await viaProxy(proxy.socketPath, { path: `https://127.0.0.2:${allowed.port}/`, headers: { host: '127.0.0.2' } });
    expect(https).toMatchObject({ status: 400, body: 'cca egress: only http:// is forwarded; use CONNECT for https://.\n' });
  });

  it('answers 502 with the reason when an allowed host does not answer, by either way', async () => {
    const port = await freePort();
    const plain = await viaProxy(proxy.socketPath, { path: `http://127.0.0.2:${port}/`, headers: { host: '127.0.0.2' } });
    expect(plain.status).toBe(502);
    expect(plain.body).toMatch(new RegExp(`^cca egress: could not connect to 127\\.0\\.0\\.2:${port}: .*ECONNREFUSED`));
    const tunnel = await raw(proxy.socketPath, connect(`127.0.0.2:${port}`));
    expect(tunnel).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n/);
    expect(tunnel).toMatch(new RegExp(`cca egress: could not connect to 127\\.0\\.0\\.2:${port}: .*ECONNREFUSED`));
  });

  it('counts refusals per host:port (names normalized) and reports each host:port once', async () => {
    const before = denials.length;
    await viaProxy(proxy.socketPath, { path: 'http://denied.test:8080/a', headers: { host: 'denied.test' } });
    await viaProxy(proxy.socketPath, { path: 'http://DENIED.test:8080/b', headers: { host: 'denied.test' } });
    await raw(proxy.socketPath, connect('Denied.Test.:8080'));
    await raw(proxy.socketPath, connect('denied.test:443'));
    expect(denials.slice(before)).toEqual(['denied.test:8080', 'denied.test:443']);
    expect(proxy.denied().filter((d) => d.host === 'denied.test')).toEqual([
      { host: 'denied.test', port: 8080, attempts: 3 },
      { host: 'denied.test', port: 443, attempts: 1 },
    ]);
    // A copy: what the caller does with it changes nothing.
    proxy.denied()[0]!.attempts = 99;
    expect(proxy.denied()[0]!.attempts).not.toBe(99);
  });

  it('survives runs that hang up mid-answer (no unhandled socket error)', async () => {
    for (let i = 0; i < 50; i++) {
      const socket = net.connect(proxy.socketPath);
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(i % 2 === 0 ? connect(`reset${i}.test:443`) : `GET http://reset${i}.test/ HTTP/1.1\r\nHost: x\r\n\r\n`);
      socket.destroy();
    }
    // Still serving, and the service process did not see an uncaught error (vitest would fail on one).
    expect(await raw(proxy.socketPath, connect('reset.test:443'))).toMatch(/^HTTP\/1\.1 403/);
  });

  it(`records and reports at most ${MAX_REPORTED_DENIALS} refused hosts and ports, and still refuses the rest`, async () => {
    let reported = 0;
    const own = await startEgressProxy({
      socketPath: path.join(dir, 'capped.sock'),
      policy: { domains: [], endpoints: [], private: LOOPBACK },
      onDenied: () => (reported += 1),
    });
    try {
      const answers: string[] = [];
      for (let i = 0; i <= MAX_REPORTED_DENIALS; i++) answers.push(await raw(own.socketPath, connect(`h${i}.test:443`)));
      expect(answers.every((a) => a.startsWith('HTTP/1.1 403'))).toBe(true);
      expect(reported).toBe(MAX_REPORTED_DENIALS);
      expect(own.denied()).toHaveLength(MAX_REPORTED_DENIALS);
      expect(own.denied().some((d) => d.host === `h${MAX_REPORTED_DENIALS}.test`)).toBe(false);
    } finally {
      await own.close();
    }
  });
});

describe('startEgressProxy: endpoints and closing', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-proxy-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('allows an endpoint on its own port only', async () => {
    const model = await upstream('127.0.0.1', 'model');
    const other = await upstream('127.0.0.1', 'other');
    const proxy = await startEgressProxy({
      socketPath: path.join(dir, 'endpoints.sock'),
      policy: { domains: [], endpoints: [{ pattern: '127.0.0.1', port: model.port }], private: LOOPBACK },
    });
    try {
      const ok = await viaProxy(proxy.socketPath, { path: `http://127.0.0.1:${model.port}/v1`, headers: { host: '127.0.0.1' } });
      expect(ok).toMatchObject({ status: 200, body: 'model:GET:/v1' });
      const no = await viaProxy(proxy.socketPath, { path: `http://127.0.0.1:${other.port}/v1`, headers: { host: '127.0.0.1' } });
      expect(no.status).toBe(403);
      expect(await raw(proxy.socketPath, connect(`127.0.0.1:${other.port}`))).toMatch(/^HTTP\/1\.1 403 /);
      expect(other.connections).toBe(0);
      expect(proxy.denied()).toEqual([{ host: '127.0.0.1', port: other.port, attempts: 2 }]);
    } finally {
      await proxy.close();
      model.server.close();
      other.server.close();
    }
  });

  it('close() cuts open tunnels and removes its socket', async () => {
    const upstreamEnds: Promise<void>[] = [];
    const echo = net.createServer((s) => {
      upstreamEnds.push(new Promise((resolve) => s.once('close', () => resolve())));
      s.pipe(s);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const port = (echo.address() as AddressInfo).port;
    const socketPath = path.join(dir, 'closing.sock');
    const proxy = await startEgressProxy({ socketPath, policy: { domains: ['127.0.0.1'], endpoints: [], private: LOOPBACK } });
    try {
      expect(existsSync(socketPath)).toBe(true);
      const client = net.connect(socketPath);
      client.on('error', () => undefined);
      const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      let got = '';
      const echoed = new Promise<void>((resolve) =>
        client.setEncoding('latin1').on('data', (c: string) => {
          got += c;
          if (got.endsWith('\r\n\r\n')) client.write('ping');
          if (got.endsWith('ping')) resolve();
        }),
      );
      client.write(connect(`127.0.0.1:${port}`));
      await echoed;
      expect(got).toBe('HTTP/1.1 200 Connection Established\r\n\r\nping');

      await proxy.close();
      await clientClosed;
      await Promise.all(upstreamEnds);
      expect(existsSync(socketPath)).toBe(false);
      await expect(viaProxy(socketPath, { path: `http://127.0.0.1:${port}/` })).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await proxy.close().catch(() => undefined);
      echo.close();
    }
  });
});

describe('startEgressProxy without an allowlist: every public host, no private address', () => {
  let dir: string;
  let proxy: EgressProxy;
  let local: Awaited<ReturnType<typeof upstream>>;
  const denials: string[] = [];
  const origin: string[] = [];

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-proxy-'));
    local = await upstream('127.0.0.1', 'local');
    proxy = await startEgressProxy({
      socketPath: path.join(dir, 'proxy.sock'),
      policy: { domains: undefined, endpoints: [], private: NO_PRIVATE_HOSTS },
      onDenied: (host, port) => denials.push(`${host}:${port}`),
      onOriginRequest: (req, res) => {
        origin.push(`${req.method} ${req.url}`);
        res.end('broker');
      },
    });
  });
  afterAll(async () => {
    await proxy?.close();
    local?.server.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('refuses loopback and metadata by address, a name that resolves to loopback included, by either way', async () => {
    const plain = await viaProxy(proxy.socketPath, { path: `http://127.0.0.1:${local.port}/` });
    expect(plain.status).toBe(403);
    expect(plain.body).toMatch(/^cca egress: 127\.0\.0\.1 is a loopback, private, link-local or metadata address/);
    // "localhost" is a name: it is refused for the address it resolves to, not for what it says.
    const named = await viaProxy(proxy.socketPath, { path: `http://localhost:${local.port}/` });
    expect(named.status).toBe(403);
    expect(named.body).toMatch(/^cca egress: localhost is at (127\.0\.0\.1|::1), a loopback/);
    expect(await raw(proxy.socketPath, connect(`localhost:${local.port}`))).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(await raw(proxy.socketPath, connect('169.254.169.254:80'))).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(await raw(proxy.socketPath, connect('[::ffff:127.0.0.1]:' + local.port))).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(local.seen).toHaveLength(0);
    expect(local.connections).toBe(0);
    expect(denials).toEqual(
      expect.arrayContaining([
        `127.0.0.1:${local.port}`,
        `localhost:${local.port}`,
        '169.254.169.254:80',
        `::ffff:127.0.0.1:${local.port}`,
      ]),
    );
  });

  it('hands requests in origin form to the broker, not to a host', async () => {
    const res = await viaProxy(proxy.socketPath, { method: 'POST', path: '/cca-run/t/v1/messages', body: '{}' });
    expect(res).toMatchObject({ status: 200, body: 'broker' });
    expect(origin).toEqual(['POST /cca-run/t/v1/messages']);
  });
});

describe('parseAuthority', () => {
  it('reads host:port, [IPv6]:port, and normalizes the host', () => {
    expect(parseAuthority('example.com:443')).toEqual({ host: 'example.com', port: 443 });
    expect(parseAuthority('API.Example.COM.:8443')).toEqual({ host: 'api.example.com', port: 8443 });
    expect(parseAuthority('[::1]:443')).toEqual({ host: '::1', port: 443 });
    expect(parseAuthority('127.0.0.1:1')).toEqual({ host: '127.0.0.1', port: 1 });
    expect(parseAuthority('127.0.0.1:65535')).toEqual({ host: '127.0.0.1', port: 65_535 });
  });

  it('rejects a missing or out-of-range port, bare IPv6, paths and empty input', () => {
    for (const bad of [
      'example.com',
      'example.com:',
      'example.com:0',
      'example.com:70000',
      'example.com:123456',
      '::1:443',
      'a.com/x:443',
      ':443',
      '',
      'a b:80',
    ]) {
      expect(parseAuthority(bad), bad).toBeUndefined();
    }
  });
});
