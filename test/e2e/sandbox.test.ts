/**
 * The per-run sandbox, attacked from inside: the real Claude Code binary runs a probe script (the
 * scripted model asks for it) that hunts for the service's secrets, other sessions' files and the
 * host. The same probe without the sandbox finds them, so a broken sandbox fails these tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/logging/index.js';
import { buildSdkOptions } from '../../src/runner/index.js';
import { startRuntime } from '../../src/server/index.js';
import { detectSandbox, sandboxForRun } from '../../src/sandbox/index.js';
import { listening, SERVE_BANNER_END, spawnServe } from '../support/cca-banner.js';
import { scenarios, startModelServer, text, toolUse, userTexts, type ModelServer } from '../support/model-server.js';
import { startTestService, type TestService } from '../support/service.js';

const rand = () => randomBytes(6).toString('hex');
const sandbox = await detectSandbox('bwrap', { searchPath: process.env.PATH });

/** Secrets the agent must never get, each a unique value. */
const canary = {
  env: `canary-env-${rand()}`,
  otherSession: `canary-other-session-${rand()}`,
  home: `canary-home-${rand()}`,
  apiKey: `canary-api-key-${rand()}`,
};
const PASSWD_LINE = 'root:x:0:0';

interface ProbeReport {
  procs: Record<string, { cmdline: string; environ: string }>;
  ps: string;
  reads: Record<string, string>;
  lists: Record<string, string[] | string>;
  writes: Record<string, string>;
  links: Record<string, string>;
}

/** A Python script that tries every way out it is given and prints what it found as JSON. */
function probeScript(p: { reads: string[]; lists: string[]; writes: string[] }): string {
  return `import json, os, subprocess
def read(p, n=65536):
    try:
        with open(p, 'rb') as f:
            return f.read(n).decode('utf-8', 'replace').replace(chr(0), ' ')
    except Exception as e:
        return 'ERR ' + type(e).__name__
def ls(p):
    try:
        return sorted(os.listdir(p))
    except Exception as e:
        return 'ERR ' + type(e).__name__
def attempt(fn):
    try:
        fn()
        return 'ok'
    except Exception as e:
        return 'ERR ' + type(e).__name__
def write(p):
    with open(p, 'w') as f:
        f.write('probe')
found = {'procs': {}, 'reads': {}, 'lists': {}, 'writes': {}, 'links': {}}
for pid in sorted((d for d in os.listdir('/proc') if d.isdigit()), key=int):
    found['procs'][pid] = {'cmdline': read('/proc/%s/cmdline' % pid), 'environ': read('/proc/%s/environ' % pid)}
try:
    found['ps'] = subprocess.run(['ps', '-eo', 'pid,args'], capture_output=True, text=True).stdout
except Exception as e:
    found['ps'] = 'ERR ' + type(e).__name__
for p in ${JSON.stringify(p.reads)}:
    found['reads'][p] = read(p)
for p in ${JSON.stringify(p.lists)}:
    found['lists'][p] = ls(p)
for p in ${JSON.stringify(p.writes)}:
    found['writes'][p] = attempt(lambda: write(p))
found['links']['passwd-link'] = attempt(lambda: os.symlink('/etc/passwd', 'passwd-link'))
found['links']['root-link'] = attempt(lambda: os.symlink('/', 'root-link'))
found['links']['passwd-hard'] = attempt(lambda: os.link('/etc/passwd', 'passwd-hard'))
write('inner.txt')
found['links']['inner-hard.txt'] = attempt(lambda: os.link('inner.txt', 'inner-hard.txt'))
print(json.dumps(found, indent=1))
`;
}

/** The Bash command the model sends: write the script, run it, keep its output in report.txt. */
const probeCommand = (script: string) => `cat > probe.py <<'EOF' && python3 probe.py > report.txt 2>&1\n${script}EOF`;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe.skipIf(sandbox.kind !== 'bwrap')('the run sandbox (bubblewrap) with the real Claude Code binary', () => {
  let svc: TestService;
  let otherSession: string;
  let homeCanaryDir: string;
  let probe: { reads: string[]; lists: string[]; writes: string[] };
  const decoys: ChildProcess[] = [];
  const PY = 'print("Hello from the sandbox")\n';

  beforeAll(async () => {
    // The service's own environment holds a secret, and so do host processes the agent might read.
    process.env.CCA_TEST_CANARY = canary.env;
    const decoyEnv = { PATH: process.env.PATH, CCA_TEST_CANARY: canary.env };
    // One process, so that killing it leaves nothing behind; it also ends by itself.
    decoys.push(
      spawn(process.execPath, ['-e', 'setTimeout(() => {}, 300_000)', 'cca-decoy', canary.env], { env: decoyEnv, stdio: 'ignore' }),
    );
    // Cloud credentials in the service user's home.
    homeCanaryDir = path.join(os.homedir(), `.cca-sandbox-test-${rand()}`);
    await fs.mkdir(homeCanaryDir, { recursive: true });
    await fs.writeFile(path.join(homeCanaryDir, 'credentials'), `[default]\naws_secret_access_key = ${canary.home}\n`);

    svc = await startTestService({
      responder: scenarios({
        hello: [{ content: [toolUse('Write', { file_path: 'notes.txt', content: 'other session\n' })] }, { content: [text('ok')] }],
        probe: (req, turn) =>
          turn === 0
            ? { content: [toolUse('Bash', { command: probeCommand(probeScript(probe)), description: 'probe' })] }
            : { content: [text('Probed.')] },
        // The same probe for the service without a sandbox, minus the writes to the host.
        control: (req, turn) =>
          turn === 0
            ? { content: [toolUse('Bash', { command: probeCommand(probeScript({ ...probe, writes: [] })), description: 'probe' })] }
            : { content: [text('Probed.')] },
        normal: [
          { content: [toolUse('Write', { file_path: 'hello.py', content: PY })] },
          { content: [toolUse('Bash', { command: 'python3 hello.py > out.txt', description: 'run it' })] },
          { content: [text('Ran hello.py.')] },
          // The continued session: the conversation and the workspace are both still there.
          {
            content: [
              toolUse('Bash', { command: 'python3 -c "print(open(\'out.txt\').read().upper())" > upper.txt', description: 'again' }),
            ],
          },
          { content: [text('Continued.')] },
        ],
      }),
    });
    // Another session with a secret in its workspace, and the service's key file in the data dir.
    const first = await svc.invoke({ prompt: '[[scenario:hello]] make a note', permission_mode: 'acceptAll' });
    expect(first.body.output.success).toBe(true);
    otherSession = first.body.output.session_id;
    await fs.writeFile(path.join(svc.dataDir, 'sessions', otherSession, 'workspace', 'secret.txt'), canary.otherSession);
    await fs.writeFile(path.join(svc.dataDir, '.api_key'), canary.apiKey, { mode: 0o600 });

    const id = rand();
    probe = {
      reads: [
        ...['cca.db', '.signing_key', '.api_key'].map((f) => path.join(svc.dataDir, f)),
        path.join(svc.dataDir, 'sessions', otherSession, 'workspace', 'secret.txt'),
        path.join(homeCanaryDir, 'credentials'),
        '/root/.aws/credentials',
      ],
      lists: [svc.dataDir, path.join(svc.dataDir, 'sessions'), path.join(svc.dataDir, 'artifacts'), os.homedir(), '/root'],
      writes: [
        `/etc/cca-probe-${id}`,
        path.join(svc.dataDir, `cca-probe-${id}`),
        path.join(os.homedir(), `cca-probe-${id}`),
        `/tmp/cca-probe-${id}`,
      ],
    };
  });

  afterAll(async () => {
    delete process.env.CCA_TEST_CANARY;
    for (const d of decoys) if (d.pid !== undefined && d.exitCode === null) process.kill(d.pid);
    await fs.rm(homeCanaryDir, { recursive: true, force: true });
    await svc?.close();
  });

  it('keeps the service secrets, other sessions, the host and its processes out of reach', async () => {
    const { status, body } = await svc.invoke({ prompt: '[[scenario:probe]] look around', permission_mode: 'acceptAll' });
    expect(status).toBe(200);
    expect(body.output).toMatchObject({ success: true, result: 'Probed.' });
    const sessionId: string = body.output.session_id;
    const workspace = path.join(svc.dataDir, 'sessions', sessionId, 'workspace');
    const raw = await fs.readFile(path.join(workspace, 'report.txt'), 'utf8');
    const report = JSON.parse(raw) as ProbeReport;
    const signingKey = await fs.readFile(path.join(svc.dataDir, '.signing_key'), 'utf8');

    // Nothing secret anywhere the caller can see: the answer, report.txt, every stored file.
    const stored = await filesUnder(path.join(svc.dataDir, 'artifacts'));
    expect(stored.some((f) => f.endsWith('report.txt'))).toBe(true);
    const seen = [JSON.stringify(body), raw, ...(await Promise.all(stored.map((f) => fs.readFile(f, 'utf8'))))];
    for (const text of seen) {
      for (const secret of [...Object.values(canary), signingKey.trim(), PASSWD_LINE]) expect(text).not.toContain(secret);
    }

    // Its own PID namespace: PID 1 is bwrap, then Claude Code and what it ran; no service, no decoy.
    // bwrap, then the egress bridge (Node) that starts Claude Code: the run has a network of its own.
    expect(report.procs['1']?.cmdline).toMatch(/^\S*bwrap --args 3 -- \S+node \S+bridge-main\.cjs \d+ \S+ \S* \S+claude /);
    const cmdlines = Object.values(report.procs).map((p) => p.cmdline);
    expect(cmdlines.length).toBeLessThan(15);
    expect(cmdlines.some((c) => c.includes('python3 probe.py'))).toBe(true);
    expect(cmdlines.join('\n')).not.toMatch(/vitest|cca-decoy/);
    expect(report.ps).toMatch(/^\s+1 \S*bwrap /m);
    expect(report.ps).not.toMatch(/vitest|cca-decoy/);

    // The data dir shows only this session; no key file, database or other session is readable.
    expect(report.lists[svc.dataDir]).toEqual(['sessions']);
    expect(report.lists[path.join(svc.dataDir, 'sessions')]).toEqual([sessionId]);
    expect(report.lists[path.join(svc.dataDir, 'artifacts')]).toBe('ERR FileNotFoundError');
    expect(report.lists[os.homedir()]).toEqual([]);
    for (const [file, content] of Object.entries(report.reads)) expect([file, content]).toEqual([file, 'ERR FileNotFoundError']);

    // Writes outside the session fail, or land in a private tmpfs that vanished with the run.
    expect(report.writes[probe.writes[0]!]).toMatch(/^ERR (OSError|PermissionError)/);
    for (const target of probe.writes) expect(existsSync(target)).toBe(false);

    // Links are made (or refused across mounts) and never stored.
    expect(report.links).toMatchObject({ 'passwd-link': 'ok', 'root-link': 'ok', 'inner-hard.txt': 'ok' });
    const skipped = Object.fromEntries(body.output.metadata.skipped_files.map((s: { path: string; reason: string }) => [s.path, s.reason]));
    expect(skipped).toMatchObject({
      'passwd-link': 'symlink',
      'root-link': 'symlink',
      'inner.txt': 'hard_link',
      'inner-hard.txt': 'hard_link',
    });
    if (report.links['passwd-hard'] === 'ok') expect(skipped['passwd-hard']).toBe('hard_link');
    const uploaded = body.output.metadata.uploaded_files.map((f: { file_name: string }) => f.file_name).sort();
    expect(uploaded).toEqual(['probe.py', 'report.txt']);
  });

  it('still runs a normal task (Write, Bash python3) and continues the session from its home', async () => {
    const first = await svc.invoke({ prompt: '[[scenario:normal]] write and run hello.py', permission_mode: 'acceptAll' });
    expect(first.body.output).toMatchObject({ success: true, result: 'Ran hello.py.' });
    const sessionId: string = first.body.output.session_id;
    const files = first.body.output.metadata.uploaded_files;
    expect(files.map((f: { file_name: string }) => f.file_name).sort()).toEqual(['hello.py', 'out.txt']);
    const out = files.find((f: { file_name: string }) => f.file_name === 'out.txt');
    expect(await (await fetch(out.download_url)).text()).toBe('Hello from the sandbox\n');
    // Claude Code's transcript was written in the session home, inside the sandbox.
    const home = path.join(svc.dataDir, 'sessions', sessionId, 'home');
    expect((await filesUnder(home)).some((f) => f.endsWith('.jsonl'))).toBe(true);

    const mainBefore = svc.model.requests.filter((r) => r.kind === 'main').length;
    const second = await svc.invoke({ prompt: 'Now shout it', session_id: sessionId, permission_mode: 'acceptAll' });
    expect(second.body.output).toMatchObject({ success: true, result: 'Continued.', session_id: sessionId });
    const upper = second.body.output.metadata.uploaded_files;
    expect(upper.map((f: { file_name: string }) => f.file_name)).toEqual(['upper.txt']);
    expect(await (await fetch(upper[0].download_url)).text()).toBe('HELLO FROM THE SANDBOX\n\n');
    const resumed = svc.model.requests.filter((r) => r.kind === 'main')[mainBefore];
    expect(userTexts(resumed!.body).join('\n')).toContain('write and run hello.py');
  });

  it('without the sandbox, the same probe finds the secrets: the checks above can fail', async () => {
    const open = await startTestService({ model: svc.model, env: { CCA_SANDBOX: 'off' } });
    try {
      const { body } = await open.invoke({ prompt: '[[scenario:control]] look around', permission_mode: 'acceptAll' });
      const report = await fs.readFile(path.join(open.dataDir, 'sessions', body.output.session_id, 'workspace', 'report.txt'), 'utf8');
      expect(report).toContain(canary.env); // a host process's environment
      expect(report).toContain(canary.otherSession);
      expect(report).toContain(canary.home);
      expect(report).toContain(canary.apiKey);
    } finally {
      await open.close();
    }
  });
});

describe('refusing runs when the sandbox is unavailable', () => {
  it('answers 503 sandbox_unavailable at once, before anything runs', async () => {
    const model = await startModelServer();
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-nosandbox-'));
    const noBwrap = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-path-'));
    const config = loadConfig(
      { port: '0', host: '127.0.0.1', 'data-dir': dataDir },
      { ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'sk-test' },
    );
    // A PATH without bwrap: the service's detection finds none.
    const runtime = await startRuntime({ ...config, mode: 'runtime' }, silentLogger(), { PATH: noBwrap });
    try {
      const started = Date.now();
      const res = await fetch(`${runtime.url}/invocations`, { method: 'POST', body: JSON.stringify({ prompt: 'hello' }) });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe('sandbox_unavailable');
      expect(body.message).toContain('bwrap (bubblewrap) was not found on PATH');
      expect(body.message).toContain('apt-get install bubblewrap');
      expect(body.message).toContain('--no-sandbox');
      expect(Date.now() - started).toBeLessThan(5000);
      expect(model.requests).toHaveLength(0);
      expect(existsSync(path.join(dataDir, 'sessions'))).toBe(false);
    } finally {
      await runtime.close(0);
      await model.close();
      await fs.rm(dataDir, { recursive: true, force: true });
      await fs.rm(noBwrap, { recursive: true, force: true });
    }
  });

  it('detects a bogus bwrap as unavailable', async () => {
    const status = await detectSandbox('bwrap', { bwrapPath: '/nonexistent/bwrap' });
    expect(status.kind).toBe('unavailable');
  });
});

describe('--no-sandbox / CCA_SANDBOX=off', () => {
  const spec = {
    prompt: 'p',
    permissionMode: 'acceptAll',
    tools: ['Bash'],
    maxTurns: 1,
    maxBudgetUsd: 1,
    timeoutMs: 1000,
    model: undefined,
    resume: undefined,
  } as const;

  it.each([
    ['--no-sandbox', loadConfig({ 'no-sandbox': true }, {})],
    ['CCA_SANDBOX=off', loadConfig({}, { CCA_SANDBOX: 'off' })],
  ])('%s spawns Claude Code directly, without bwrap', async (_how, config) => {
    expect(config.sandbox).toBe('off');
    const status = await detectSandbox(config.sandbox, { bwrapPath: '/nonexistent/bwrap' });
    expect(status).toEqual({ kind: 'off' });
    const run = sandboxForRun(status, { dataDir: config.dataDir, home: '/h', tmp: '/t' });
    expect(run).toBeUndefined();
    const options = buildSdkOptions(
      { ...spec, tools: [...spec.tools] },
      {
        workspace: '/w',
        env: {},
        abortController: new AbortController(),
        claudePath: undefined,
        denials: [],
        sandbox: run,
      },
    );
    expect(options.spawnClaudeCodeProcess).toBeUndefined();
  });

  it.each([
    ['with --no-sandbox, a warning', ['--no-sandbox'], process.env.PATH ?? '', /sandbox:\s+OFF[^\n]*\nWARNING: runs are not sandboxed/],
    [
      'without a working bwrap, that runs are refused and how to fix it',
      [],
      '/nonexistent',
      /sandbox:\s+UNAVAILABLE: .*\nERROR: Runs are refused .*apt-get install bubblewrap.*--no-sandbox/,
    ],
  ])('cca serve prints %s at start-up', async (_what, flags, PATH, expected) => {
    const serve = await spawnServe(flags, PATH);
    try {
      const { banner } = await listening(serve.child, SERVE_BANNER_END);
      expect(banner).toMatch(expected);
    } finally {
      await serve.stop();
    }
  });
});
