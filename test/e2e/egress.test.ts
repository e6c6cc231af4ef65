/**
 * Egress allowlists with the real Claude Code binary in the real sandbox: the scripted model asks
 * for a probe script that tries to reach an allowed host, a refused one (through the proxy, by a
 * CONNECT tunnel, and directly around the proxy) and the service's own port. Two local HTTP
 * servers stand in for internet hosts: 127.0.0.2 and 127.0.0.3 are both this machine's loopback,
 * but different hosts to the allowlist (the services here let runs reach them with
 * CCA_PRIVATE_HOSTS; without it they are loopback, and refused). The same probe on the host's
 * network (CCA_RUN_NETWORK=host) reaches everything, so a broken allowlist fails these tests. A
 * Unix socket under the host's /run stands in for Docker's.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectSandbox } from '../../src/sandbox/index.js';
import { BRIDGE_PORT } from '../../src/egress/index.js';
import { EventStore } from '../../src/events/index.js';
import { listening, SERVE_BANNER_END, spawnServe } from '../support/cca-banner.js';
import { scenarios, text, toolUse, type ModelServer, startModelServer } from '../support/model-server.js';
import { startTestService, type TestService } from '../support/service.js';

const sandbox = await detectSandbox('bwrap', { searchPath: process.env.PATH });
const secret = {
  allowed: `allowed-${randomBytes(6).toString('hex')}`,
  refused: `refused-${randomBytes(6).toString('hex')}`,
  unix: `unix-${randomBytes(6).toString('hex')}`,
};

interface Probe {
  env: Record<string, string>;
  run: string[] | string;
  unix: string;
  proxied: Record<string, string>;
  tunnel: Record<string, string>;
  direct: Record<string, string>;
}

async function listen(host: string, body: string): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((_req, res) => res.end(body));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** A Python script that tries each way out and prints what it got as JSON. */
function probeScript(t: { allowed: string; refused: string; service: string; unix: string }): string {
  return `import json, os, socket, urllib.request
def get(url):
    try:
        return urllib.request.urlopen(url, timeout=10).read().decode()
    except urllib.error.HTTPError as e:
        return 'HTTP %d %s' % (e.code, e.read().decode())
    except Exception as e:
        return 'ERR ' + type(e).__name__
def tunnel(target):
    try:
        s = socket.create_connection(('127.0.0.1', ${BRIDGE_PORT}), timeout=10)
        s.sendall(('CONNECT %s HTTP/1.1\\r\\nHost: %s\\r\\n\\r\\n' % (target, target)).encode())
        head = s.recv(4096).decode()
        if not head.startswith('HTTP/1.1 200'):
            return head.split('\\r\\n')[0]
        s.sendall(b'GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n')
        data = b''
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.decode().split('\\r\\n\\r\\n', 1)[-1]
    except Exception as e:
        return 'ERR ' + type(e).__name__
def direct(host, port):
    try:
        s = socket.create_connection((host, port), timeout=5)
        s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')
        return 'CONNECTED ' + s.recv(4096).decode().split('\\r\\n\\r\\n', 1)[-1]
    except Exception as e:
        return 'ERR ' + type(e).__name__
def unix(p):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(p)
        return 'CONNECTED ' + s.recv(4096).decode()
    except Exception as e:
        return 'ERR ' + type(e).__name__
def ls(p):
    try:
        return sorted(os.listdir(p))
    except Exception as e:
        return 'ERR ' + type(e).__name__
found = {'env': {k: v for k, v in os.environ.items() if 'proxy' in k.lower()}, 'proxied': {}, 'tunnel': {}, 'direct': {}}
found['run'] = ls('/run')
found['unix'] = unix('${t.unix}')
found['proxied']['allowed'] = get('http://${t.allowed}/')
found['proxied']['refused'] = get('http://${t.refused}/')
found['tunnel']['allowed'] = tunnel('${t.allowed}')
found['tunnel']['refused'] = tunnel('${t.refused}')
h, p = '${t.refused}'.split(':')
found['direct']['refused'] = direct(h, int(p))
h, p = '${t.service}'.split(':')
found['direct']['service'] = direct(h, int(p))
found['direct']['internet'] = direct('1.1.1.1', 80)
found['proxied']['metadata'] = get('http://169.254.169.254/latest/meta-data/')
print(json.dumps(found, indent=1))
`;
}

describe.skipIf(sandbox.kind !== 'bwrap' || !sandbox.network)('egress allowlists (real Claude Code, bubblewrap, proxy)', () => {
  let model: ModelServer;
  let open: TestService;
  let shared: TestService;
  let allowed: { server: http.Server; port: number };
  let refused: { server: http.Server; port: number };
  let targets: { allowed: string; refused: string; service: string; unix: string };
  let hostSocket: net.Server;

  beforeAll(async () => {
    allowed = await listen('127.0.0.2', secret.allowed);
    refused = await listen('127.0.0.3', secret.refused);
    const probe = () => probeScript(targets);
    model = await startModelServer(
      scenarios({
        probe: (_req, turn) =>
          turn === 0
            ? {
                content: [
                  toolUse('Bash', {
                    command: `cat > probe.py <<'EOF' && python3 probe.py > report.json 2>&1\n${probe()}EOF`,
                    description: 'probe the network',
                  }),
                ],
              }
            : { content: [text('Probed.')] },
      }),
    );
    // The stand-ins for internet hosts are on loopback: the operator lets runs reach them.
    open = await startTestService({ model, env: { CCA_PRIVATE_HOSTS: '127.0.0.2,127.0.0.3' } });
    shared = await startTestService({ model, env: { CCA_RUN_NETWORK: 'host' } });
    // A Unix socket of the host under /run, where Docker, D-Bus and databases keep theirs.
    const unixPath = `/run/cca-egress-test-${randomBytes(4).toString('hex')}.sock`;
    hostSocket = net.createServer((c) => c.end(secret.unix));
    await new Promise<void>((resolve) => hostSocket.listen(unixPath, resolve));
    targets = {
      allowed: `127.0.0.2:${allowed.port}`,
      refused: `127.0.0.3:${refused.port}`,
      service: new URL(open.url).host,
      unix: unixPath,
    };
  });

  afterAll(async () => {
    await open?.close();
    await shared?.close();
    await model?.close();
    allowed?.server.close();
    refused?.server.close();
    hostSocket?.close();
  });

  async function probe(svc: TestService, extra: Record<string, unknown>): Promise<{ body: any; report: Probe }> {
    const { status, body } = await svc.invoke({ prompt: '[[scenario:probe]] try the network', permission_mode: 'acceptAll', ...extra });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.output).toMatchObject({ success: true, result: 'Probed.' });
    const raw = await fs.readFile(path.join(svc.dataDir, 'sessions', body.output.session_id, 'workspace', 'report.json'), 'utf8');
    return { body, report: JSON.parse(raw) as Probe };
  }

  it('allowed_domains: the run reaches the allowed host and the model, nothing else; the output lists what was refused', async () => {
    const { body, report } = await probe(open, { allowed_domains: ['127.0.0.2'] });

    // Tools find the proxy in the usual variables; the sandbox's own loopback stays direct.
    expect(report.env).toMatchObject({
      HTTP_PROXY: `http://127.0.0.1:${BRIDGE_PORT}`,
      https_proxy: `http://127.0.0.1:${BRIDGE_PORT}`,
      NO_PROXY: 'localhost,127.0.0.1,::1',
    });
    // The allowed host, through the proxy and through a CONNECT tunnel.
    expect(report.proxied.allowed).toBe(secret.allowed);
    expect(report.tunnel.allowed).toBe(secret.allowed);
    // The refused host: a 403 that says why, by either way; its content never arrives.
    expect(report.proxied.refused).toMatch(/^HTTP 403 cca egress: 127\.0\.0\.3 is not in this run's allowed domains/);
    expect(report.tunnel.refused).toBe('HTTP/1.1 403 Forbidden');
    // Around the proxy there is no network: the host's loopback (the refused host, the service
    // itself) is not this sandbox's, and there is no route out.
    expect(report.direct.refused).toMatch(/^ERR /);
    expect(report.direct.service).toMatch(/^ERR /);
    expect(report.direct.internet).toMatch(/^ERR /);
    // Nor do the host's Unix sockets under /run.
    expect(report.run).toEqual([]);
    expect(report.unix).toMatch(/^ERR /);
    expect(JSON.stringify(body)).not.toContain(secret.refused);

    expect(body.output.metadata.egress).toEqual({
      allowed_domains: ['127.0.0.2'],
      denied: [
        { host: '127.0.0.3', port: refused.port, attempts: 2 },
        { host: '169.254.169.254', port: 80, attempts: 1 },
      ],
    });
    // One event per refused host and port, however often it was tried.
    const events = new EventStore(open.runtime.db).listAfter(body.output.session_id, 0);
    expect(events.filter((e) => e.type === 'egress.denied').map((e) => e.data)).toEqual([
      { host: '127.0.0.3', port: refused.port },
      { host: '169.254.169.254', port: 80 },
    ]);
  });

  it('without an allowlist: its own network all the same, public hosts through the proxy, never the host or metadata', async () => {
    const { body, report } = await probe(open, {});
    expect(report.env).toMatchObject({ HTTP_PROXY: `http://127.0.0.1:${BRIDGE_PORT}` });
    // Both stand-ins are "public" here (CCA_PRIVATE_HOSTS), so both answer through the proxy.
    expect(report.proxied.allowed).toBe(secret.allowed);
    expect(report.proxied.refused).toBe(secret.refused);
    // The metadata service is refused by its address, with the reason and the way to allow it.
    expect(report.proxied.metadata).toMatch(
      /^HTTP 403 cca egress: 169\.254\.169\.254 is a loopback, private, link-local or metadata address, which runs may not reach \(the operator can allow it with --private-hosts/,
    );
    // Around the proxy: nothing (the service's port, other local servers, the internet, /run).
    expect(report.direct.refused).toMatch(/^ERR /);
    expect(report.direct.service).toMatch(/^ERR /);
    expect(report.direct.internet).toMatch(/^ERR /);
    expect(report.unix).toMatch(/^ERR /);
    expect(body.output.metadata.egress).toBeUndefined();
  });

  it('on the host network (CCA_RUN_NETWORK=host) the same probe reaches everything: the checks above can fail', async () => {
    const { body, report } = await probe(shared, {});
    expect(report.env).toEqual({});
    expect(report.proxied.refused).toBe(secret.refused);
    expect(report.proxied.metadata).not.toMatch(/^HTTP 403 cca egress/);
    expect(report.direct.refused).toBe(`CONNECTED ${secret.refused}`);
    expect(report.direct.service).toMatch(/^CONNECTED/);
    expect(report.run).toEqual((await fs.readdir('/run')).sort());
    expect(report.unix).toBe(`CONNECTED ${secret.unix}`);
    expect(body.output.metadata.egress).toBeUndefined();
  });

  describe('a deployment allowlist (CCA_ALLOWED_DOMAINS)', () => {
    let locked: TestService;
    beforeAll(async () => {
      locked = await startTestService({
        model,
        env: { CCA_ALLOWED_DOMAINS: '127.0.0.2,*.example.test', CCA_PRIVATE_HOSTS: '127.0.0.2,127.0.0.3' },
      });
    });
    afterAll(async () => locked?.close());

    it('applies to every run that does not narrow it', async () => {
      const { body, report } = await probe(locked, {});
      expect(report.proxied.allowed).toBe(secret.allowed);
      expect(report.proxied.refused).toMatch(/^HTTP 403 /);
      expect(body.output.metadata.egress.allowed_domains).toEqual(['127.0.0.2', '*.example.test']);
    });

    it('lets a request narrow it, down to the model alone', async () => {
      const { body, report } = await probe(locked, { allowed_domains: 'none' });
      expect(report.proxied.allowed).toMatch(/^HTTP 403 /);
      expect(report.tunnel.allowed).toBe('HTTP/1.1 403 Forbidden');
      expect(body.output.metadata.egress).toEqual({
        allowed_domains: [],
        denied: [
          { host: '127.0.0.2', port: allowed.port, attempts: 2 },
          { host: '127.0.0.3', port: refused.port, attempts: 2 },
          { host: '169.254.169.254', port: 80, attempts: 1 },
        ],
      });
    });

    it('refuses a request that asks for more, before anything runs', async () => {
      const before = model.requests.length;
      const { status, body } = await locked.invoke({ prompt: 'hi', allowed_domains: ['api.example.test', '127.0.0.3', '*.test'] });
      expect(status).toBe(400);
      expect(body).toMatchObject({ code: 'invalid_request', field: 'allowed_domains', allowed: ['127.0.0.2', '*.example.test'] });
      expect(body.message).toBe(
        "allowed_domains may only narrow this deployment's egress allowlist; not in it: 127.0.0.3, *.test. This deployment allows: 127.0.0.2, *.example.test.",
      );
      expect(model.requests.length).toBe(before);
    });
  });
});

describe('allowed_domains where it cannot be enforced', () => {
  it('is refused with a 400 that says why when the service runs without a sandbox', async () => {
    const svc = await startTestService({ env: { CCA_SANDBOX: 'off' } });
    try {
      const { status, body } = await svc.invoke({ prompt: 'hi', allowed_domains: ['github.com'] });
      expect(status).toBe(400);
      expect(body.field).toBe('allowed_domains');
      expect(body.message).toContain('allowed_domains needs the run sandbox');
      expect(svc.model.requests).toHaveLength(0);
    } finally {
      await svc.close();
    }
  });

  it.each([
    ['a host with a space', ['github.com', 'bad host'], /allowed_domains has invalid entries: "bad host"/],
    ['"*"', '*', /"\*" \(to allow every host, leave the allowlist out\)/],
    ['300 hosts', Array.from({ length: 300 }, (_, i) => `h${i}.example.com`), /allowed_domains has 300 entries; at most 256/],
    ['a number', 42, /allowed_domains must be a comma-separated string or an array of host names/],
  ])('answers 400 for allowed_domains: %s', async (_name, value, message) => {
    const svc = await startTestService({ env: { CCA_SANDBOX: 'off' } });
    try {
      const { status, body } = await svc.invoke({ prompt: 'hi', allowed_domains: value });
      expect(status).toBe(400);
      expect(body.message).toMatch(message);
    } finally {
      await svc.close();
    }
  });
});

describe('cca serve --allowed-domains', () => {
  it.skipIf(sandbox.kind !== 'bwrap' || !sandbox.network)('says at start-up what runs may reach', async () => {
    const serve = await spawnServe(['--allowed-domains', 'github.com, *.npmjs.org'], process.env.PATH ?? '');
    try {
      const { banner } = await listening(serve.child, SERVE_BANNER_END);
      expect(banner).toContain(
        '  egress:   the model endpoint and github.com, *.npmjs.org (--allowed-domains); everything else is refused\n',
      );
      expect(banner).not.toContain('ERROR');
    } finally {
      await serve.stop();
    }
  });

  it.skipIf(sandbox.kind !== 'bwrap' || !sandbox.network)('says at start-up that each run has its own network, and the operator’s exceptions', async () => {
    const serve = await spawnServe(['--private-hosts', 'registry.internal, 10.1.0.0/16'], process.env.PATH ?? '');
    try {
      const { banner } = await listening(serve.child, SERVE_BANNER_END);
      expect(banner).toContain(
        '  network:  each run its own; out only through its proxy, to public hosts (loopback, private and metadata addresses refused ' +
          'except registry.internal, 10.1.0.0/16 (--private-hosts)); a request may narrow it with allowed_domains\n',
      );
      expect(banner).not.toMatch(/WARNING|ERROR/);
    } finally {
      await serve.stop();
    }
  });

  it('warns at start-up when runs share the host network', async () => {
    const shared = await spawnServe([], process.env.PATH ?? '', { CCA_RUN_NETWORK: 'host' });
    try {
      const { banner } = await listening(shared.child, SERVE_BANNER_END);
      expect(banner).toContain("  network:  the host's (CCA_RUN_NETWORK=host)\nWARNING: runs can reach this service's port");
    } finally {
      await shared.stop();
    }
  });

  it('refuses to start with --no-sandbox, saying why (exit 2)', async () => {
    const serve = await spawnServe(['--allowed-domains', 'github.com', '--no-sandbox'], process.env.PATH ?? '');
    try {
      let err = '';
      serve.child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
      const code = await new Promise<number | null>((resolve) => serve.child.once('exit', resolve));
      expect(code).toBe(2);
      expect(err).toContain('--allowed-domains / CCA_ALLOWED_DOMAINS needs the run sandbox');
    } finally {
      await serve.stop();
    }
  });
});
