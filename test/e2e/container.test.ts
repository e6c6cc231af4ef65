/**
 * The container image, proven without a Docker engine: the Dockerfile is parsed, the runtime
 * stage's files are assembled in a temp dir exactly as its COPY lines say (the production install
 * runs through the same script as the `deps` stage), and its ENTRYPOINT is started from there with
 * its ENV, as an unprivileged user, against the scripted model. Needs `npm run build` (dist/).
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listening } from '../support/cca-banner.js';
import { scenarios, startModelServer, text, toolUse, type ModelServer } from '../support/model-server.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const INSTALL_SCRIPT = 'scripts/install-production.sh';
const PY = 'print("Hello, World!")\n';
const run = promisify(execFile);

interface Step {
  op: string;
  args: string;
}
interface Stage {
  image: string;
  name: string | undefined;
  steps: Step[];
}

const dockerfile = await fs.readFile(path.join(ROOT, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const runtime = stages.at(-1)!;
const registry = (await run('npm', ['config', 'get', 'registry'])).stdout.trim();
const registryReachable = await fetch(registry, { signal: AbortSignal.timeout(15_000) }).then(
  () => true,
  () => false,
);
if (!registryReachable) {
  console.warn(`container.test.ts: SKIPPING the production install: the npm registry ${registry} cannot be reached.`);
}

describe('Dockerfile', () => {
  const all = stages.flatMap((s) => s.steps);

  it('builds every stage from Node 22 slim and ends in the runtime stage', () => {
    expect(stages.map((s) => s.image)).toEqual(stages.map(() => expect.stringMatching(/^node:22-(bookworm-)?slim$/)));
    expect(runtime.name).toBe('runtime');
    expect(
      steps(
        stages.find((s) => s.name === 'build')!,
        'RUN',
      ),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/npm ci\b/), 'npm run build']));
  });

  it('runs as a non-root user that owns /data, with production settings and the AgentCore port', () => {
    const user = steps(runtime, 'USER').at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(steps(runtime, 'RUN').join('\n')).toMatch(new RegExp(`chown ${user}:\\S+ /data`));
    expect(envOf(runtime)).toMatchObject({ NODE_ENV: 'production', CCA_DATA_DIR: '/data' });
    expect(steps(runtime, 'EXPOSE')).toEqual(['8080']);
    // Coding tasks need them; a compiler does not belong in the image.
    expect(steps(runtime, 'RUN').join('\n')).toMatch(
      /--no-install-recommends ca-certificates git python3\b[\s\S]*rm -rf \/var\/lib\/apt\/lists/,
    );
    expect(steps(runtime, 'RUN').join('\n')).not.toMatch(/\b(g\+\+|make|build-essential)\b/);
  });

  it('checks health on /ping with node (no curl) and starts `cca runtime` in exec form', () => {
    const health = steps(runtime, 'HEALTHCHECK').join('\n');
    expect(health).toMatch(/CMD \["node", "-e", ".*fetch\('http:\/\/127\.0\.0\.1:.*\/ping'\)/);
    expect(health).not.toMatch(/curl|wget/);
    expect(JSON.parse(steps(runtime, 'ENTRYPOINT').at(-1) ?? 'null')).toEqual(['node', 'bin/cca', 'runtime']);
  });

  it('bakes in no bucket, region, model or credentials: those are run-time settings', () => {
    const names = all
      .filter((s) => s.op === 'ARG' || s.op === 'ENV')
      .flatMap((s) => (s.op === 'ENV' ? Object.keys(parseEnv(s.args)) : [s.args.split('=')[0]!]));
    expect(names.filter((n) => /STORAGE|BUCKET|REGION|MODEL|BEDROCK|ANTHROPIC|AWS_|KEY|SECRET/i.test(n))).toEqual([]);
  });

  it('installs production dependencies with optional ones (the Claude Code binary) and without dev ones', async () => {
    const deps = stageCopiedFrom('node_modules');
    expect(steps(deps, 'RUN').at(-1)).toMatch(new RegExp(`sh ${INSTALL_SCRIPT}$`));
    const script = await fs.readFile(path.join(ROOT, INSTALL_SCRIPT), 'utf8');
    const ci = script.split('\n').find((l) => l.startsWith('npm ci '));
    expect(ci).toMatch(/--omit=dev\b/);
    expect(ci).toMatch(/--include=optional\b/);
    expect(script).not.toMatch(/--omit=optional|--no-optional/);
  });

  it('keeps out of the build context nothing a COPY needs, and the local clutter it must not get', async () => {
    const ignore = (await fs.readFile(path.join(ROOT, '.dockerignore'), 'utf8'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignore).toEqual(expect.arrayContaining(['node_modules', 'dist', '.cca', '.git', 'coverage', 'bench']));
    const sources = all.filter((s) => s.op === 'COPY' && !s.args.startsWith('--from=')).flatMap((s) => parseCopy(s.args).sources);
    for (const source of sources)
      expect({ source, ignoredBy: ignore.filter((p) => ignores(p, source)) }).toEqual({ source, ignoredBy: [] });
  });
});

describe.skipIf(!registryReachable)('the image, assembled on the host from its runtime stage', () => {
  let tmp: string;
  let app: string;
  let dataDir: string;
  let installSeconds: number;
  let model: ModelServer;

  beforeAll(async () => {
    await fs.access(path.join(ROOT, 'dist/cli/main.js')).catch(() => {
      throw new Error('dist/ is missing: run `npm run build` first (the runtime stage copies it from the build stage).');
    });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-image-'));
    const deps = path.join(tmp, 'deps');
    app = path.join(tmp, 'app');
    dataDir = path.join(tmp, 'data');
    await Promise.all([deps, app, dataDir].map((d) => fs.mkdir(d, { mode: 0o755 })));
    await fs.chmod(tmp, 0o755); // mkdtemp makes it 0700; the unprivileged user must reach app/

    // The deps stage: its COPYs, then its install step (the apt-get step is the host's job here).
    await copyStage(stageCopiedFrom('node_modules'), deps, {});
    const started = performance.now();
    await run('sh', [INSTALL_SCRIPT, '--prefer-offline'], { cwd: deps, maxBuffer: 64 * 1024 * 1024 });
    installSeconds = (performance.now() - started) / 1000;
    console.info(`container.test.ts: production install took ${installSeconds.toFixed(1)} s`);

    // The runtime stage: the build stage's /app is this checkout after `npm run build`.
    await copyStage(runtime, app, { build: ROOT, deps });
    model = await startModelServer(
      scenarios({
        hello: [
          { content: [text('Creating the script.'), toolUse('Write', { file_path: 'hello.py', content: PY })] },
          { content: [text('Created hello.py.')] },
        ],
      }),
    );
  }, 15 * 60_000);

  afterAll(async () => {
    await model?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('holds the production dependencies only, with this platform’s Claude Code binary', async () => {
    const lock = JSON.parse(await fs.readFile(path.join(app, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }>;
    };
    const present = async (p: string) =>
      fs.access(path.join(app, p)).then(
        () => true,
        () => false,
      );
    const entries = Object.entries(lock.packages).filter(([p, info]) => p.startsWith('node_modules/') && !info.devOptional);
    const missing = [];
    const extra = [];
    for (const [p, info] of entries) {
      const has = await present(p);
      if (info.dev && has) extra.push(p);
      if (!info.dev && !info.optional && !has) missing.push(p);
    }
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
    for (const devOnly of ['vitest', 'typescript', 'tsx', '@types/node']) expect(await present(`node_modules/${devOnly}`)).toBe(false);

    const sdk = JSON.parse(await fs.readFile(path.join(app, 'node_modules/@anthropic-ai/claude-agent-sdk/package.json'), 'utf8'));
    const claude = path.join(app, `node_modules/@anthropic-ai/claude-agent-sdk-linux-${process.arch}/claude`);
    const { stdout } = await run(claude, ['--version'], { env: { PATH: '/usr/bin:/bin', HOME: dataDir } });
    expect(stdout.trim()).toBe(`${sdk.claudeCodeVersion} (Claude Code)`);
    expect(await fs.readdir(app)).toEqual(expect.arrayContaining(['bin', 'dist', 'node_modules', 'package.json', 'package-lock.json']));
    expect(await present('src')).toBe(false);
  });

  it('starts the ENTRYPOINT as an unprivileged user: /ping answers, the seed task runs and stores hello.py', async () => {
    const user = await unprivilegedUser();
    if (user) await fs.chown(dataDir, user.uid, user.gid);
    const [command, ...args] = JSON.parse(steps(runtime, 'ENTRYPOINT').at(-1)!) as string[];
    expect(command).toBe('node');
    const child = spawn(process.execPath, args, {
      cwd: app,
      ...(user ?? {}),
      env: {
        ...envOf(runtime),
        PATH: process.env.PATH,
        HOME: dataDir, // the image's user has /data as its home
        CCA_DATA_DIR: dataDir,
        CCA_PORT: '0', // the runtime's defaults otherwise: 0.0.0.0
        ANTHROPIC_BASE_URL: model.url,
        ANTHROPIC_API_KEY: 'sk-test-scripted',
        CCA_MODEL_MAX_RETRIES: '0',
        CCA_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const { url } = await listening(child);
      const ping = await fetch(`${url}/ping`);
      expect(ping.status).toBe(200);
      const health = (await ping.json()) as Record<string, unknown>;
      expect(Object.keys(health).sort()).toEqual(['status', 'time_of_last_update']);
      expect(health.status).toBe('Healthy');
      expect(Number.isInteger(health.time_of_last_update)).toBe(true);

      const res = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: '[[scenario:hello]] Create a hello world Python script' }),
      });
      const body = (await res.json()) as any;
      expect({ status: res.status, success: body.output?.success, result: body.output?.result }).toEqual({
        status: 200,
        success: true,
        result: 'Created hello.py.',
      });
      const [file] = body.output.metadata.uploaded_files;
      expect(file).toMatchObject({ file_name: 'hello.py', sha256: createHash('sha256').update(PY).digest('hex') });
      const stored = path.join(dataDir, 'artifacts', file.key);
      expect(await fs.readFile(stored, 'utf8')).toBe(PY);
      if (user) expect((await fs.stat(stored)).uid).toBe(user.uid);
      expect(await (await fetch(file.download_url)).text()).toBe(PY);

      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);
});

/** Instructions per stage; continuation lines joined, comments dropped. */
function parseDockerfile(source: string): Stage[] {
  const lines = source.split('\n').filter((l) => !/^\s*#/.test(l));
  const joined = lines.join('\n').replace(/\\\n/g, ' ');
  const result: Stage[] = [];
  for (const line of joined.split('\n')) {
    const match = /^\s*([A-Za-z]+)\s+(.*?)\s*$/.exec(line);
    if (!match) continue;
    const op = match[1]!.toUpperCase();
    const args = match[2]!.replace(/\s+/g, ' ');
    if (op === 'FROM') {
      const [image, as, name] = args.split(' ').filter((t) => !t.startsWith('--platform'));
      result.push({ image: image!, name: as?.toUpperCase() === 'AS' ? name : undefined, steps: [] });
    } else {
      result.at(-1)?.steps.push({ op, args });
    }
  }
  return result;
}

function steps(stage: Stage, op: string): string[] {
  return stage.steps.filter((s) => s.op === op).map((s) => s.args);
}

/** `ENV a=1 b=2` (the only form the Dockerfile uses) as an object; later lines win. */
function parseEnv(args: string): Record<string, string> {
  return Object.fromEntries(args.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

function envOf(stage: Stage): Record<string, string> {
  return Object.assign({}, ...steps(stage, 'ENV').map(parseEnv));
}

function parseCopy(args: string): { from: string | undefined; sources: string[]; dest: string } {
  const tokens = args.split(' ');
  const from = tokens.find((t) => t.startsWith('--from='))?.slice('--from='.length);
  const paths = tokens.filter((t) => !t.startsWith('--'));
  return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
}

/** The stage the runtime stage copies `/app/<what>` from. */
function stageCopiedFrom(what: string): Stage {
  const copy = steps(runtime, 'COPY')
    .map(parseCopy)
    .find((c) => c.from !== undefined && c.sources.includes(`/app/${what}`));
  const stage = stages.find((s) => s.name === copy?.from);
  if (!stage) throw new Error(`The runtime stage copies /app/${what} from no stage of the Dockerfile.`);
  return stage;
}

/**
 * Replays a stage's COPY lines into `into` (its WORKDIR, /app). `stageRoots` maps a stage name to
 * the host directory standing for that stage's /app; sources without --from come from the checkout.
 */
async function copyStage(stage: Stage, into: string, stageRoots: Record<string, string>): Promise<void> {
  expect(steps(stage, 'WORKDIR').at(-1)).toBe('/app');
  for (const { from, sources, dest } of steps(stage, 'COPY').map(parseCopy)) {
    const root = from === undefined ? ROOT : stageRoots[from];
    if (root === undefined) throw new Error(`COPY --from=${from}: the test does not know how to stand in for stage "${from}".`);
    for (const source of sources) {
      const relative = from === undefined ? source : path.posix.relative('/app', source);
      if (relative.startsWith('..')) throw new Error(`COPY --from=${from} ${source}: only paths under /app are supported.`);
      const intoDir = dest.endsWith('/') || sources.length > 1;
      const target = path.join(into, dest, intoDir ? path.basename(source) : '');
      await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
      // Moving out of a scratch stage is a copy that does not double 400 MB on disk.
      if (root !== ROOT) await fs.rename(path.join(root, relative), target);
      else await fs.cp(path.join(root, relative), target, { recursive: true, verbatimSymlinks: true });
    }
  }
}

/** Whether a .dockerignore pattern excludes `file` or a directory holding it. */
function ignores(pattern: string, file: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/\/+$/, '')
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*\/?/g, '\u0000')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')
      .replace(/\u0000/g, '(?:.*/)?')}$`,
  );
  const parts = path.posix.normalize(file).replace(/\/+$/, '').split('/');
  return parts.some((_, i) => regex.test(parts.slice(0, i + 1).join('/')));
}

/** `nobody` when the tests run as root (they do here), so the service runs unprivileged as in the image. */
async function unprivilegedUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined; // already unprivileged
  const passwd = await fs.readFile('/etc/passwd', 'utf8').catch(() => '');
  const [, , uid, gid] =
    passwd
      .split('\n')
      .find((l) => l.startsWith('nobody:'))
      ?.split(':') ?? [];
  return uid && gid ? { uid: Number(uid), gid: Number(gid) } : undefined;
}
