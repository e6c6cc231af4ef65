import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BRIDGE_PORT, BRIDGE_PROXY_URL, BRIDGE_SCRIPT, bridgeCommand, loopbackEndpoints, SANDBOX_SOCKET, withProxyEnv } from './bridge.js';

describe('loopbackEndpoints', () => {
  it('keeps the endpoints on the loopback, in order', () => {
    const endpoints = [
      { pattern: 'api.anthropic.com', port: 443 },
      { pattern: '127.0.0.1', port: 9999 },
      { pattern: 'localhost', port: 4000 },
      { pattern: '*.googleapis.com', port: 443 },
      { pattern: '127.1.2.3', port: 81 },
      { pattern: '::1', port: 5000 },
    ];
    expect(loopbackEndpoints(endpoints)).toEqual([
      { pattern: '127.0.0.1', port: 9999 },
      { pattern: 'localhost', port: 4000 },
      { pattern: '127.1.2.3', port: 81 },
      { pattern: '::1', port: 5000 },
    ]);
  });

  it.each(['10.0.0.1', '0.0.0.0', '128.0.0.1', '127.0.0.1.example.com', 'localhost.example.com', 'mylocalhost', '169.254.170.2', '::2'])(
    'leaves out %s',
    (pattern) => {
      expect(loopbackEndpoints([{ pattern, port: 80 }])).toEqual([]);
    },
  );
});

describe('withProxyEnv', () => {
  const env = {
    PATH: '/usr/bin',
    HTTPS_PROXY: 'http://corp-proxy:3128',
    http_proxy: 'http://corp-proxy:3128',
    NO_PROXY: 'corp.internal',
    ALL_PROXY: 'socks5://corp-proxy:1080',
    all_proxy: 'socks5://corp-proxy:1080',
  };

  it('points every proxy variable at the bridge and keeps loopback direct', () => {
    const out = withProxyEnv(env);
    expect(BRIDGE_PROXY_URL).toBe(`http://127.0.0.1:${BRIDGE_PORT}`);
    for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) expect(out[name]).toBe(BRIDGE_PROXY_URL);
    expect(out.NO_PROXY).toBe('localhost,127.0.0.1,::1');
    expect(out.no_proxy).toBe('localhost,127.0.0.1,::1');
  });

  it('removes ALL_PROXY and all_proxy, which would bypass the bridge', () => {
    const out = withProxyEnv(env);
    expect(out).not.toHaveProperty('ALL_PROXY');
    expect(out).not.toHaveProperty('all_proxy');
  });

  it('keeps the other variables and leaves its input as it was', () => {
    const before = { ...env };
    const out = withProxyEnv(env);
    expect(out.PATH).toBe('/usr/bin');
    expect(out).not.toBe(env);
    expect(env).toEqual(before);
  });

  it('sets the variables on an empty environment too', () => {
    expect(withProxyEnv({})).toEqual({
      HTTP_PROXY: BRIDGE_PROXY_URL,
      HTTPS_PROXY: BRIDGE_PROXY_URL,
      http_proxy: BRIDGE_PROXY_URL,
      https_proxy: BRIDGE_PROXY_URL,
      NO_PROXY: 'localhost,127.0.0.1,::1',
      no_proxy: 'localhost,127.0.0.1,::1',
    });
  });
});

describe('bridgeCommand', () => {
  it('runs node with the bridge, its port, the socket, the forwards, then the command and its arguments', () => {
    const forwards = [
      { pattern: '127.0.0.1', port: 4000 },
      { pattern: '::1', port: 5000 },
    ];
    expect(bridgeCommand('/usr/bin/node', '/opt/bridge-main.cjs', '/opt/claude', ['--print', 'a b'], forwards)).toEqual({
      command: '/usr/bin/node',
      args: ['/opt/bridge-main.cjs', String(BRIDGE_PORT), SANDBOX_SOCKET, '127.0.0.1:4000,::1:5000', '/opt/claude', '--print', 'a b'],
    });
  });

  it('passes an empty forward list as an empty argument, keeping the positions', () => {
    const { args } = bridgeCommand('node', 'bridge.cjs', 'claude', [], []);
    expect(args).toEqual(['bridge.cjs', String(BRIDGE_PORT), SANDBOX_SOCKET, '', 'claude']);
  });

  it('names a bridge script that exists beside the module', () => {
    expect(path.basename(BRIDGE_SCRIPT)).toBe('bridge-main.cjs');
    expect(fs.existsSync(BRIDGE_SCRIPT)).toBe(true);
  });
});
