/**
 * The bridge program run for real by Node, outside any sandbox: its port relays to a real egress
 * proxy (curl goes through it), it passes on how its command ended, and it refuses bad usage.
 * A forward listens on the very host:port it tunnels to, which only works in a network namespace
 * of its own (src/sandbox/spawn.test.ts covers that); here the forwards talk to a stand-in proxy
 * that records what they ask for and echoes the tunnel.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_SCRIPT } from './bridge.js';
import { startEgressProxy, type EgressProxy } from './proxy.js';
import { parsePrivateHosts } from './addresses.js';
/** The tests' upstreams listen on loopback addresses, standing in for internet hosts. */
const LOOPBACK = parsePrivateHosts(['127.0.0.0/8']);

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Runs the bridge with `args` and collects its output until it ends; `onOut` sees stdout as it comes. */
function bridge(args: string[], onOut?: (out: string, child: ReturnType<typeof spawn>) => void): Promise<Ended> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BRIDGE_SCRIPT, ...args], { env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      onOut?.(out, child);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}

/** A port on 127.0.0.1 that was free a moment ago. */
async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function listen<T extends net.Server>(server: T, host: string): Promise<{ server: T; port: number }> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * A shell command running Node that connects to host:port, sends `ping`, and prints what came
 * back (until the peer closes, or its `ping` is echoed): `host:port <what>`, `closed` for nothing.
 */
function probe(host: string, port: number): string {
  const js =
    `const s = require('net').connect(${port}, '${host}'); let got = ''; s.on('data', (c) => { got += c; if (got.endsWith('ping')) s.end(); }); ` +
    `s.on('error', (e) => { got += 'ERR ' + e.code; }); s.on('close', () => console.log('${host}:${port} ' + (got || 'closed'))); s.write('ping');`;
  return `${process.execPath} -e "${js}"`;
}

describe('bridge-main.cjs (real Node, no sandbox)', () => {
  let dir: string;
  let socket: string;
  let proxy: EgressProxy;
  let allowed: { server: http.Server; port: number };
  let refused: { server: http.Server; port: number };
  let refusedRequests = 0;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-bridge-'));
    socket = path.join(dir, 'proxy.sock');
    proxy = await startEgressProxy({ socketPath: socket, policy: { domains: ['127.0.0.2'], endpoints: [], private: LOOPBACK } });
    allowed = await listen(
      http.createServer((req, res) => res.end(`allowed says hi to ${req.url}`)),
      '127.0.0.2',
    );
    refused = await listen(
      http.createServer((_req, res) => {
        refusedRequests += 1;
        res.end('refused content');
      }),
      '127.0.0.3',
    );
  });
  afterAll(async () => {
    await proxy?.close();
    allowed?.server.close();
    refused?.server.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('relays its port to the proxy: curl reaches the allowed host, plain and tunnelled, and gets the 403 for another', async () => {
    const port = await freePort();
    const curl = `curl -sS --max-time 10 -x http://127.0.0.1:${port}`;
    const script = [
      `${curl} http://127.0.0.2:${allowed.port}/plain; echo`,
      `${curl} -p http://127.0.0.2:${allowed.port}/tunnelled; echo`,
      `${curl} -w ' %{http_code}' http://127.0.0.3:${refused.port}/; echo`,
    ].join('; ');
    const ended = await bridge([String(port), socket, '', '/bin/sh', '-c', script]);
    expect(ended.err).toBe('');
    expect(ended.code).toBe(0);
    const lines = ended.out.trim().split('\n');
    expect(lines.slice(0, 2)).toEqual(['allowed says hi to /plain', 'allowed says hi to /tunnelled']);
    expect(lines[2]).toMatch(/^cca egress: 127\.0\.0\.3 is not in this run's allowed domains\./);
    expect(lines.at(-1)).toMatch(/ 403$/);
    expect(refusedRequests).toBe(0);
    expect(proxy.denied()).toContainEqual({ host: '127.0.0.3', port: refused.port, attempts: 1 });
  });

  it('closes a forwarded connection the proxy refuses, passing nothing on', async () => {
    const port = await freePort('127.0.0.7');
    const ended = await bridge([String(await freePort()), socket, `127.0.0.7:${port}`, '/bin/sh', '-c', probe('127.0.0.7', port)]);
    expect(ended.code).toBe(0);
    // Its `ping` may still sit unread in the bridge when it closes: then the close is a reset.
    expect(ended.out).toMatch(new RegExp(`^127\\.0\\.0\\.7:${port} (closed|ERR ECONNRESET)\\n$`));
    expect(proxy.denied()).toContainEqual({ host: '127.0.0.7', port, attempts: 1 });
  });

  it("exits with its command's exit code", async () => {
    const ended = await bridge([String(await freePort()), socket, '', '/bin/sh', '-c', 'echo ran; exit 7']);
    expect(ended).toMatchObject({ code: 7, signal: null, out: 'ran\n' });
  });

  it('dies by the signal that killed its command', async () => {
    const ended = await bridge([String(await freePort()), socket, '', '/bin/sh', '-c', 'kill -TERM $$']);
    expect(ended).toMatchObject({ code: null, signal: 'SIGTERM' });
  });

  it('passes a SIGTERM it gets on to its command, and then dies by it', async () => {
    const ended = await bridge([String(await freePort()), socket, '', '/bin/sh', '-c', 'echo ready; exec sleep 30'], (out, child) => {
      if (out === 'ready\n') child.kill('SIGTERM');
    });
    expect(ended).toMatchObject({ code: null, signal: 'SIGTERM', out: 'ready\n' });
  });

  it('exits 127 when its command cannot be started', async () => {
    const ended = await bridge([String(await freePort()), socket, '', '/nonexistent/command']);
    expect(ended.code).toBe(127);
    expect(ended.err).toMatch(/^cca egress bridge: cannot start \/nonexistent\/command: .*ENOENT/);
  });

  it('exits 2 with its usage when arguments are missing', async () => {
    for (const args of [[], ['3128'], ['3128', socket, '']]) {
      const ended = await bridge(args);
      expect(ended.code, args.join(' ')).toBe(2);
      expect(ended.err).toBe('cca egress bridge: usage: PORT SOCKET FORWARDS COMMAND [ARGS...]\n');
    }
  });

  it('exits 1 without running its command when its port is taken', async () => {
    const taken = await listen(net.createServer(), '127.0.0.1');
    const marker = path.join(dir, 'ran');
    try {
      const ended = await bridge([String(taken.port), socket, '', '/bin/sh', '-c', `touch ${marker}`]);
      expect(ended.code).toBe(1);
      expect(ended.err).toMatch(new RegExp(`^cca egress bridge: cannot listen on 127\\.0\\.0\\.1:${taken.port}: .*EADDRINUSE`));
      expect(existsSync(marker)).toBe(false);
    } finally {
      taken.server.close();
    }
  });
});

describe('bridge-main.cjs forwards (stand-in proxy)', () => {
  let dir: string;
  let socket: string;
  let stand: net.Server;
  /** The first line each tunnel opened with. */
  const asked: string[] = [];

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-bridge-'));
    socket = path.join(dir, 'stand-in.sock');
    // Refuses "refused.test", tunnels everything else to an echo, sending a few bytes of its own
    // right behind the 200 (as a server that speaks first would).
    stand = net.createServer((s) => {
      let head = '';
      const onData = (c: Buffer) => {
        head += c.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        s.off('data', onData);
        const line = head.split('\r\n')[0] ?? '';
        asked.push(line);
        if (line.includes('refused.test')) return s.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
        s.write('HTTP/1.1 200 Connection Established\r\n\r\nhello;');
        s.pipe(s);
      };
      s.on('data', onData);
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => stand.listen(socket, resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => stand.close(resolve));
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('listens on each host:port of FORWARDS and tunnels it with a CONNECT to that same host:port', async () => {
    const a = await freePort('127.0.0.5');
    const b = await freePort('127.0.0.6');
    const script = `${probe('127.0.0.5', a)}; ${probe('127.0.0.6', b)}`;
    const ended = await bridge([String(await freePort()), socket, `127.0.0.5:${a},127.0.0.6:${b}`, '/bin/sh', '-c', script]);
    expect(ended.err).toBe('');
    expect(ended.out).toBe(`127.0.0.5:${a} hello;ping\n127.0.0.6:${b} hello;ping\n`);
    expect(asked).toEqual(expect.arrayContaining([`CONNECT 127.0.0.5:${a} HTTP/1.1`, `CONNECT 127.0.0.6:${b} HTTP/1.1`]));
  });

  it('skips a forward it cannot listen on, and still runs its command', async () => {
    // 192.0.2.1 (TEST-NET-1) is no address of this machine.
    const ended = await bridge([String(await freePort()), socket, '192.0.2.1:443', '/bin/sh', '-c', 'echo ran']);
    expect(ended.code).toBe(0);
    expect(ended.out).toBe('ran\n');
    expect(ended.err).toMatch(/^cca egress bridge: cannot listen on 192\.0\.2\.1:443: /);
  });
});
