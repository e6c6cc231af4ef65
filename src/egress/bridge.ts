/**
 * The way out of a sandbox without a network. Inside it, a small Node program (bridge-main.cjs) listens
 * on the sandbox's own loopback and relays each connection to the run's egress proxy, whose Unix
 * socket is bound into the sandbox; then it starts Claude Code, which finds the proxy through
 * HTTP(S)_PROXY like every tool it runs. A loopback model endpoint (a local gateway, the tests'
 * scripted model) gets a port of its own that tunnels to it through the proxy.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Endpoint } from './policy.js';

/** Where the bridge listens inside the sandbox: its own network namespace, so no port clashes. */
export const BRIDGE_PORT = 3128;
let socketsDir: string | undefined;

/**
 * Where this service process keeps its proxies' sockets on the host; hidden from every sandboxed
 * run. Made once per process by mkdtemp (fresh, 0700, ours): a fixed name in a shared /tmp could be
 * made first by another local user, who could then swap the sockets in it for their own.
 */
export function egressSocketsDir(): string {
  if (socketsDir === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-egress-'));
    // Empty once every run has closed its proxy; gone with the process.
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    socketsDir = dir;
  }
  return socketsDir;
}
/** Where the proxy's socket is bound inside the sandbox (its private /tmp). */
export const SANDBOX_SOCKET = '/tmp/.cca-egress.sock';
/** The proxy URL tools in the sandbox use. */
export const BRIDGE_PROXY_URL = `http://127.0.0.1:${BRIDGE_PORT}`;

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1)$/;

/** The endpoints the run reaches on its own loopback: those of the host's loopback. */
export function loopbackEndpoints(endpoints: Endpoint[]): Endpoint[] {
  return endpoints.filter((e) => LOOPBACK.test(e.pattern));
}

/**
 * The environment of a run that goes out through the bridge: every common proxy variable points
 * at it; loopback stays direct, as it is the sandbox's own (a dev server the agent started).
 */
export function withProxyEnv(env: Record<string, string>): Record<string, string> {
  const out = { ...env };
  const noProxy = 'localhost,127.0.0.1,::1';
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) out[name] = BRIDGE_PROXY_URL;
  out.NO_PROXY = noProxy;
  out.no_proxy = noProxy;
  delete out.ALL_PROXY;
  delete out.all_proxy;
  return out;
}

/** The bridge program (bridge-main.cjs), beside this module in the sources and in the build. */
export const BRIDGE_SCRIPT = fileURLToPath(new URL('./bridge-main.cjs', import.meta.url));

/**
 * The command that runs `command args` behind the bridge.
 * @example bridgeCommand(process.execPath, BRIDGE_SCRIPT, '/path/claude', ['--print'], [{ pattern: '127.0.0.1', port: 4000 }])
 */
export function bridgeCommand(
  node: string,
  bridge: string,
  command: string,
  args: string[],
  forwards: Endpoint[],
): { command: string; args: string[] } {
  const forwardList = forwards.map((f) => `${f.pattern}:${f.port}`).join(',');
  return { command: node, args: [bridge, String(BRIDGE_PORT), SANDBOX_SOCKET, forwardList, command, ...args] };
}
