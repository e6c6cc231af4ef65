import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { SpawnedProcess } from '@anthropic-ai/claude-agent-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEgressProxy, type EgressProxy } from '../egress/index.js';
import { detectSandbox } from './detect.js';
import { bwrapSpawner } from './spawn.js';
import { parsePrivateHosts } from '../egress/index.js';
/** The tests' upstreams listen on loopback addresses, standing in for internet hosts. */
const LOOPBACK = parsePrivateHosts(['127.0.0.0/8']);

const status = await detectSandbox('bwrap', { searchPath: process.env.PATH });
const bwrapPath = status.kind === 'bwrap' ? status.path : '';

/** An HTTP server on `address` that answers `name path` and records the paths it was asked for. */
async function host(address: string, name: string): Promise<{ server: http.Server; port: number; paths: string[] }> {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    res.end(`${name} ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  return { server, port: (server.address() as AddressInfo).port, paths };
}

/** The children of a process's main thread, as /proc lists them ('' for none). */
function readChildren(pid: number): string {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
}

/** Collects stdout until the process exits. */
async function finish(child: SpawnedProcess): Promise<{ code: number | null; out: string }> {
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  // The SDK listens for errors too: an abort is reported as one.
  child.on('error', () => undefined);
  const [code] = await Promise.all([
    new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c))),
    new Promise((resolve) => child.stdout.once('close', resolve)),
  ]);
  return { code, out };
}

describe.skipIf(status.kind !== 'bwrap')('bwrapSpawner (real bubblewrap)', () => {
  let root: string;
  let dataDir: string;
  let dirs: { workspace: string; home: string; tmp: string };
  const canary = `spawn-canary-${Math.random().toString(36).slice(2)}`;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-spawn-'));
    dataDir = path.join(root, 'data');
    dirs = {
      workspace: path.join(dataDir, 'sessions/s1/workspace'),
      home: path.join(dataDir, 'sessions/s1/home'),
      tmp: path.join(dataDir, 'sessions/s1/tmp'),
    };
    await Promise.all(Object.values(dirs).map((d) => fs.mkdir(d, { recursive: true })));
    await fs.mkdir(path.join(dataDir, 'sessions/other/workspace'), { recursive: true });
    await fs.writeFile(path.join(dataDir, 'sessions/other/workspace/secret.txt'), canary);
    await fs.writeFile(path.join(dataDir, 'cca.db'), canary);
    process.env.CCA_SPAWN_CANARY = canary;
  });
  afterAll(async () => {
    delete process.env.CCA_SPAWN_CANARY;
    await fs.rm(root, { recursive: true, force: true });
  });

  function run(script: string, env: Record<string, string | undefined> = {}, signal?: AbortSignal) {
    const spawnIt = bwrapSpawner({ bwrapPath, ...dirs, hide: [dataDir] });
    return spawnIt({
      command: '/bin/sh',
      args: ['-c', script],
      cwd: dirs.workspace,
      env: { PATH: '/usr/bin:/bin', ...env },
      signal: signal ?? new AbortController().signal,
    });
  }

  it('gives the command exactly the SDK env, and nothing of the service env, not even in /proc/1', async () => {
    const { code, out } = await finish(
      run('env; echo ---; tr "\\0" " " </proc/1/environ; echo; tr "\\0" " " </proc/1/cmdline; echo; pwd', {
        MODEL_KEY: 'sk-in-env-only',
        DROPPED: undefined,
      }),
    );
    expect(code).toBe(0);
    const [env, rest] = out.split('---\n') as [string, string];
    const names = env
      .trim()
      .split('\n')
      .map((l) => l.split('=')[0]);
    // The shell adds PWD (and maybe SHLVL) itself; everything else is what the SDK passed.
    expect(names.filter((n) => n !== 'PWD' && n !== 'SHLVL').sort()).toEqual(['MODEL_KEY', 'PATH']);
    expect(out).not.toContain(canary);
    // Options go through a pipe: bwrap's (PID 1's) command line carries no environment value.
    expect(rest).not.toContain('sk-in-env-only');
    expect(rest).toContain('--args 3');
    expect(rest.trim().split('\n').at(-1)).toBe(dirs.workspace);
  });

  it('hides the data dir except the session, which is writable; the host is read-only', async () => {
    const { out } = await finish(
      run(
        [
          `ls -A ${dataDir}/sessions`,
          `cat ${dataDir}/cca.db ${dataDir}/sessions/other/workspace/secret.txt 2>/dev/null || echo unreadable`,
          'echo hi > note.txt && echo wrote-workspace',
          `echo x > ${dirs.home}/h && echo x > ${dirs.tmp}/t && echo wrote-home-tmp`,
          `echo x > ${dataDir}/escape && echo wrote-in-mask`,
          'echo x > /etc/cca-probe 2>/dev/null || echo etc-read-only',
          'ls /proc | grep -E "^[0-9]+$" | wc -l',
        ].join('; '),
      ),
    );
    const lines = out.trim().split('\n');
    expect(lines.slice(0, 6)).toEqual(['s1', 'unreadable', 'wrote-workspace', 'wrote-home-tmp', 'wrote-in-mask', 'etc-read-only']);
    expect(out).not.toContain(canary);
    expect(await fs.readFile(path.join(dirs.workspace, 'note.txt'), 'utf8')).toBe('hi\n');
    // A write into the masked data dir lands in the tmpfs, which goes away with the sandbox.
    expect(existsSync(path.join(dataDir, 'escape'))).toBe(false);
    expect(existsSync('/etc/cca-probe')).toBe(false);
    // bwrap's PID 1, the shell, its pipeline: a handful, never the host's processes.
    expect(Number(lines[6])).toBeLessThan(10);
  });

  it('runs a command that sits in a hidden directory or /tmp (Claude Code installed there), without showing its neighbours', async () => {
    const tool = path.join(dataDir, 'bin', 'tool');
    await fs.mkdir(path.dirname(tool), { recursive: true });
    await fs.copyFile('/bin/echo', tool);
    const spawnIt = bwrapSpawner({ bwrapPath, ...dirs, hide: [dataDir] });
    const ran = await finish(
      spawnIt({ command: tool, args: ['tool ran'], cwd: dirs.workspace, env: {}, signal: new AbortController().signal }),
    );
    expect(ran).toEqual({ code: 0, out: 'tool ran\n' });
    const { out } = await finish(run(`ls ${path.dirname(tool)}; ls ${dataDir}`));
    expect(out.trim().split('\n')).toEqual(['sessions']);
  });

  it('stops the whole sandbox when the SDK aborts', async () => {
    const controller = new AbortController();
    const child = run('sleep 30 & sleep 30; echo not-reached', {}, controller.signal);
    const done = finish(child);
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    const { out } = await done;
    expect(out).not.toContain('not-reached');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it.skipIf(process.getuid?.() !== 0)(
    'confined: prlimit execs bwrap, which has forked nothing when its pid is handed over; setpriv leaves the command unprivileged',
    async () => {
      await fs.chown(dirs.workspace, 65534, 65534);
      const seen: { pid: number; children: string }[] = [];
      const spawnIt = bwrapSpawner({
        bwrapPath,
        ...dirs,
        hide: [dataDir],
        confine: {
          prefix: ['/usr/bin/prlimit', `--fsize=${20 * 2 ** 20}`, '--'],
          inner: [
            '/usr/bin/setpriv',
            '--reuid=65534',
            '--regid=65534',
            '--clear-groups',
            '--inh-caps=-all',
            '--bounding-set=-all',
            '--no-new-privs',
            '--',
          ],
          keepCaps: ['CAP_SETUID', 'CAP_SETGID', 'CAP_SETPCAP'],
          onSpawned: (pid) => seen.push({ pid, children: readChildren(pid) }),
        },
      });
      const script = [
        'id -u; id -G',
        'grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status | tr "\\t" " "',
        'cat /etc/shadow >/dev/null 2>&1 && echo shadow-read || echo shadow-denied',
        'ulimit -f',
        'echo w > mine.txt && echo wrote',
        'echo t > /tmp/t && echo wrote-tmp',
      ].join('; ');
      const child = spawnIt({
        command: '/bin/sh',
        args: ['-c', script],
        cwd: dirs.workspace,
        env: { PATH: '/usr/bin:/bin' },
        signal: new AbortController().signal,
      });
      const { code, out } = await finish(child);
      expect(code).toBe(0);
      expect(seen).toEqual([{ pid: (child as unknown as { pid: number }).pid, children: '' }]);
      expect(out.trim().split('\n')).toEqual([
        '65534',
        '65534',
        ...['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'].map((cap) => `${cap}: 0000000000000000`),
        'shadow-denied',
        String((20 * 2 ** 20) / 512),
        'wrote',
        'wrote-tmp',
      ]);
      expect((await fs.stat(path.join(dirs.workspace, 'mine.txt'))).uid).toBe(65534);
    },
  );

  it('kills bwrap and throws when onSpawned throws, before bwrap ran anything', async () => {
    const marker = path.join(dirs.workspace, 'ran-anyway');
    const spawnIt = bwrapSpawner({
      bwrapPath,
      ...dirs,
      hide: [dataDir],
      confine: {
        onSpawned: () => {
          throw new Error('no cgroup');
        },
      },
    });
    const sdk = { command: '/bin/sh', args: ['-c', `touch ${marker}`], cwd: dirs.workspace, env: {}, signal: new AbortController().signal };
    expect(() => spawnIt(sdk)).toThrow('no cgroup');
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(marker)).toBe(false);
  });

  describe.skipIf(!(status.kind === 'bwrap' && status.network))('with egress (no network but the proxy)', () => {
    let proxy: EgressProxy;
    let allowed: Awaited<ReturnType<typeof host>>;
    let refused: Awaited<ReturnType<typeof host>>;
    let model: Awaited<ReturnType<typeof host>>;

    beforeAll(async () => {
      // 127.0.0.2 and 127.0.0.3 are the host's loopback too, but other hosts to the policy.
      allowed = await host('127.0.0.2', 'allowed');
      refused = await host('127.0.0.3', 'refused');
      model = await host('127.0.0.1', 'model');
      const endpoints = [{ pattern: '127.0.0.1', port: model.port }];
      proxy = await startEgressProxy({ socketPath: path.join(root, 'egress.sock'), policy: { domains: ['127.0.0.2'], endpoints, private: LOOPBACK } });
    });
    afterAll(async () => {
      await proxy?.close();
      for (const h of [allowed, refused, model]) h?.server.close();
    });

    it('reaches allowed hosts only through the proxy, and the model on its own loopback port through a forward', async () => {
      const spawnIt = bwrapSpawner({
        bwrapPath,
        ...dirs,
        hide: [dataDir],
        egress: { socket: proxy.socketPath, forwards: [{ pattern: '127.0.0.1', port: model.port }], restricted: true },
      });
      const curl = 'curl -sS --max-time 10';
      const script = [
        'echo "$HTTP_PROXY $http_proxy $NO_PROXY"',
        `${curl} http://127.0.0.2:${allowed.port}/via-proxy; echo`,
        `${curl} --noproxy '*' http://127.0.0.2:${allowed.port}/direct 2>/dev/null || echo "direct failed"`,
        `${curl} -w ' %{http_code}' http://127.0.0.3:${refused.port}/refused; echo`,
        `${curl} --noproxy '*' http://127.0.0.1:${model.port}/forwarded; echo`,
      ].join('; ');
      const { code, out } = await finish(
        spawnIt({
          command: '/bin/sh',
          args: ['-c', script],
          cwd: dirs.workspace,
          env: { PATH: '/usr/bin:/bin' },
          signal: new AbortController().signal,
        }),
      );
      expect(code).toBe(0);
      const lines = out.trim().split('\n');
      expect(lines[0]).toBe('http://127.0.0.1:3128 http://127.0.0.1:3128 localhost,127.0.0.1,::1');
      expect(lines[1]).toBe('allowed /via-proxy');
      // Around the proxy there is no way to the host: its loopback is not the sandbox's.
      expect(lines[2]).toBe('direct failed');
      expect(lines[3]).toMatch(/^cca egress: 127\.0\.0\.3 is not in this run's allowed domains\./);
      expect(lines.at(-2)).toMatch(/ 403$/);
      expect(lines.at(-1)).toBe('model /forwarded');
      expect(allowed.paths).toEqual(['/via-proxy']);
      expect(refused.paths).toEqual([]);
      expect(model.paths).toEqual(['/forwarded']);
      expect(proxy.denied()).toEqual([{ host: '127.0.0.3', port: refused.port, attempts: 1 }]);
    });

    it("passes on the command's exit code through the bridge", async () => {
      const spawnIt = bwrapSpawner({ bwrapPath, ...dirs, hide: [dataDir], egress: { socket: proxy.socketPath, forwards: [], restricted: true } });
      const ran = await finish(
        spawnIt({
          command: '/bin/sh',
          args: ['-c', 'echo inside; exit 3'],
          cwd: dirs.workspace,
          env: {},
          signal: new AbortController().signal,
        }),
      );
      expect(ran).toEqual({ code: 3, out: 'inside\n' });
    });
  });
});
