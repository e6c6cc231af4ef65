/**
 * Tenant isolation with the real Claude Code binary in the real sandbox (issue 11, parts 1 and 2):
 * the scripted model makes the hostile moves a tenant would. A run hunts for the model key (its
 * environment, PID 1's, its files) and cannot find it, while the model server receives the real
 * key from the broker; a run's token is refused once the run has ended; a server one run starts
 * on its loopback is out of reach of another run and of the host, and so are its Unix sockets.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStore } from '../../src/events/index.js';
import { detectSandbox } from '../../src/sandbox/index.js';
import { scenarios, startModelServer, text, toolUse, type ModelServer } from '../support/model-server.js';
import { startTestService, type TestService } from '../support/service.js';

const sandbox = await detectSandbox('bwrap', { searchPath: process.env.PATH });
const REAL_KEY = `sk-ant-real-${randomBytes(12).toString('hex')}`;
const SECRET = `served-${randomBytes(8).toString('hex')}`;
const PORT = 20_000 + Math.floor(Math.random() * 20_000);

const bash = (command: string) => ({ content: [toolUse('Bash', { command, description: 'hostile move' })] });

/** Everything a tenant would try to find the key, each into a file of the workspace. */
const HUNT = [
  'env > env.txt',
  'echo "$ANTHROPIC_API_KEY" > k.txt',
  'echo "$ANTHROPIC_BASE_URL" > base.txt',
  // In a subshell, so that a refusal to read it (the run's user may not) lands in the file too.
  "(tr '\\0' '\\n' < /proc/1/environ) > pid1-environ.txt 2>&1 || true",
  "for p in /proc/[0-9]*; do tr '\\0' '\\n' < $p/environ 2>/dev/null; done > all-environ.txt",
  'cat /proc/net/unix > unix.txt 2>&1 || true',
].join('; ');

/** Run A: serves its workspace on its loopback, says so, and stays up for a while. */
const SERVE = `echo ${SECRET} > secret.txt; (python3 -m http.server ${PORT} --bind 127.0.0.1 >/dev/null 2>&1 &); sleep 1; echo up > up.txt; sleep 15`;

/** Run B: tries A's server directly, through its proxy, and by the proxy's other way (CONNECT). */
const PROBE = [
  `curl -s --max-time 5 http://127.0.0.1:${PORT}/secret.txt > direct.txt 2>&1 || echo "ERR $?" >> direct.txt`,
  `curl -s --max-time 5 --noproxy '' -x http://127.0.0.1:3128 http://127.0.0.1:${PORT}/secret.txt > proxied.txt 2>&1 || echo "ERR $?" >> proxied.txt`,
  `curl -s --max-time 5 --noproxy '' -p -x http://127.0.0.1:3128 http://127.0.0.1:${PORT}/secret.txt > tunnel.txt 2>&1 || echo "ERR $?" >> tunnel.txt`,
  'cat /proc/net/unix > unix.txt 2>&1 || true',
].join('; ');

const script = scenarios({
  hunt: [bash(HUNT), { content: [text('Hunted.')] }],
  serve: [bash(SERVE), { content: [text('Served.')] }],
  probe: [bash(PROBE), { content: [text('Probed.')] }],
});

const read = (svc: TestService, sessionId: string, file: string) =>
  fs.readFile(path.join(svc.dataDir, 'sessions', sessionId, 'workspace', file), 'utf8');

/** Every stored file's bytes, the answer and the events of a session: what a caller can get. */
async function visible(svc: TestService, body: unknown, sessionId: string): Promise<string> {
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) files.push(await fs.readFile(p, 'latin1'));
    }
  };
  await walk(path.join(svc.dataDir, 'artifacts'));
  const events = new EventStore(svc.runtime.db).listAfter(sessionId, 0);
  return [JSON.stringify(body), JSON.stringify(events), ...files].join('\n');
}

describe.skipIf(sandbox.kind !== 'bwrap' || !sandbox.network)('tenant isolation (real Claude Code, bubblewrap, broker)', () => {
  let model: ModelServer;
  let isolated: TestService;
  let shared: TestService;

  beforeAll(async () => {
    model = await startModelServer(script);
    isolated = await startTestService({ model, env: { ANTHROPIC_API_KEY: REAL_KEY } });
    shared = await startTestService({ model, env: { ANTHROPIC_API_KEY: REAL_KEY, CCA_RUN_NETWORK: 'host' } });
  });
  afterAll(async () => {
    await isolated?.close();
    await shared?.close();
    await model?.close();
  });

  it.each([
    ['its own network', () => isolated],
    ['the host network', () => shared],
  ])('on %s, a run cannot print or store the model key, and the model still receives it', async (_name, svcOf) => {
    const svc = svcOf();
    const before = model.requests.length;
    const { status, body } = await svc.invoke({ prompt: '[[scenario:hunt]] find the key', permission_mode: 'acceptAll' });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.output).toMatchObject({ success: true, result: 'Hunted.' });
    const sessionId: string = body.output.session_id;

    // What the run held instead: a token of its own, and the broker's address.
    const token = (await read(svc, sessionId, 'k.txt')).trim();
    expect(token).toMatch(/^cca-run-[A-Za-z0-9_-]{43}$/);
    expect((await read(svc, sessionId, 'base.txt')).trim()).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/cca-run/${token}$`));
    expect(body.output.metadata.uploaded_files.map((f: { file_name: string }) => f.file_name)).toEqual(
      expect.arrayContaining(['env.txt', 'k.txt', 'pid1-environ.txt', 'all-environ.txt']),
    );
    expect(await visible(svc, body, sessionId)).not.toContain(REAL_KEY);

    // The model server saw every request of this run with the real key, none with the token.
    const calls = model.requests.slice(before);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls) {
      expect(call.headers['x-api-key']).toBe(REAL_KEY);
      expect(JSON.stringify(call.headers)).not.toContain(token);
    }
  });

  it('refuses the token of a run that has ended', async () => {
    const { body } = await shared.invoke({ prompt: '[[scenario:hunt]] keep the token', permission_mode: 'acceptAll' });
    const sessionId: string = body.output.session_id;
    const base = (await read(shared, sessionId, 'base.txt')).trim();
    const token = (await read(shared, sessionId, 'k.txt')).trim();
    const before = model.requests.length;
    const res = await fetch(`${base}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': token, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'free tokens?' }] }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/belongs to a run that has ended/);
    expect(model.requests.length).toBe(before);
  });

  it('keeps a server one run starts on its loopback out of reach of another run, and of the host', async () => {
    const a = `run-a-${randomBytes(4).toString('hex')}`;
    const runA = isolated.invoke({ prompt: '[[scenario:serve]] serve my files', permission_mode: 'acceptAll', session_id: a });
    // Wait until run A's server is up (its workspace says so).
    const deadline = Date.now() + 60_000;
    while (!(await read(isolated, a, 'up.txt').catch(() => ''))) {
      if (Date.now() > deadline) throw new Error('run A did not start its server');
      await new Promise((r) => setTimeout(r, 200));
    }
    // From the host (where the service listens): nothing on that port.
    const fromHost = await new Promise<string>((resolve) => {
      const s = net.connect(PORT, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve('connected')));
      s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(fromHost).toBe('ECONNREFUSED');

    const { status, body } = await isolated.invoke({ prompt: '[[scenario:probe]] find the other server', permission_mode: 'acceptAll' });
    expect(status, JSON.stringify(body)).toBe(200);
    const b: string = body.output.session_id;
    expect(b).not.toBe(a);
    const direct = await read(isolated, b, 'direct.txt');
    const proxied = await read(isolated, b, 'proxied.txt');
    const tunnel = await read(isolated, b, 'tunnel.txt');
    // Its own loopback has no such server; the proxy refuses loopback by address.
    expect(direct).toMatch(/^ERR \d+/m);
    expect(proxied).toMatch(/^cca egress: 127\.0\.0\.1 is a loopback, private, link-local or metadata address/);
    expect(tunnel).toMatch(/ERR \d+/);
    for (const got of [direct, proxied, tunnel]) expect(got).not.toContain(SECRET);
    // Nor does it see run A's Unix sockets (Claude Code keeps some in its session's tmp).
    const unix = await read(isolated, b, 'unix.txt');
    expect(unix).toContain(b);
    expect(unix).not.toContain(a);
    // Run A's server was there all along: it ends only now.
    expect(await read(isolated, a, 'secret.txt')).toContain(SECRET);
    expect((await runA).body.output).toMatchObject({ success: true, result: 'Served.' });
  });
});
