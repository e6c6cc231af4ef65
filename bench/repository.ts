/**
 * Large workspaces stay cheap (issue 12): on a generated repository of N files (100,000 by
 * default, plus an ignored node_modules), (1) the service's change detection (record the workspace
 * in the session's private git dir, then diff) after one file changed, side by side with
 * `git status` on the same tree, interleaved; (2) the whole invocation on that repository against
 * the same invocation in an empty workspace: two sessions each continued R times, interleaved,
 * with the same two-turn task (write a file, answer).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import {
  changedPaths,
  cloneRepository,
  initGitDir,
  recordWorkspace,
  markRecorded,
  openRemote,
  inspectRemote,
} from '../src/codebase/index.js';
import { loadConfig } from '../src/config/index.js';
import { text, toolUse, type ModelRequest, type Reply } from '../test/support/model-server.js';
import type { TestService } from '../test/support/service.js';
import { round, summarize, type Summary } from './stats.js';

const run = promisify(execFile);
const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

export interface RepositoryResult {
  files: number;
  generate_s: number;
  change_detection: { service_ms: Summary | undefined; git_status_ms: Summary | undefined; ratio_p50: number | undefined };
  invocation: { repository_ms: Summary | undefined; empty_ms: Summary | undefined; ratio_p50: number | undefined; errors: number };
}

/** The scenario of this phase: turn counting restarts at each new prompt, so a continued session does the same task again. */
export function repoBenchResponder(req: ModelRequest): Reply {
  const messages = req.body.messages;
  let lastPrompt = -1;
  messages.forEach((m, i) => {
    const content = m.content;
    const isPrompt =
      m.role === 'user' &&
      (typeof content === 'string' || (Array.isArray(content) && content.some((b) => (b as { type?: string }).type === 'text')));
    if (isPrompt) lastPrompt = i;
  });
  const turn = messages.slice(lastPrompt + 1).filter((m) => m.role === 'assistant').length;
  if (turn === 0) return { content: [text('Writing.'), toolUse('Write', { file_path: 'bench-out.txt', content: `run ${Date.now()}\n` })] };
  return { content: [text('Done.')] };
}

/** Makes a repository of `files` small files (100 a folder) and an ignored node_modules; returns its path. */
async function generateRepository(root: string, files: number): Promise<string> {
  const repo = path.join(root, 'origin');
  await fs.mkdir(repo, { recursive: true });
  for (let i = 0; i < files; i++) {
    const dir = path.join(repo, 'src', `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, `f${i % 100}.ts`), `export const v${i} = ${i};\n`);
  }
  await fs.writeFile(path.join(repo, '.gitignore'), 'node_modules/\n');
  for (let i = 0; i < 2000; i++) {
    const dir = path.join(repo, 'node_modules', `p${Math.floor(i / 100)}`);
    if (i % 100 === 0) await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, `m${i % 100}.js`), `module.exports = ${i};\n`);
  }
  await run('git', ['init', '-q', '-b', 'main', repo], { env: GIT_ENV });
  await run('git', ['add', '-A'], { cwd: repo, env: GIT_ENV, maxBuffer: 1 << 26 });
  await run('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-q', '-m', 'generated'], { cwd: repo, env: GIT_ENV });
  return repo;
}

/**
 * Runs the phase; `svc` must allow local repositories (CCA_GIT_ALLOW_LOCAL=1).
 * @example const result = await measureRepository(svc, { files: 100_000, runs: 10, progress });
 */
export async function measureRepository(
  svc: TestService,
  opts: { files: number; runs: number; progress: (line: string) => void },
): Promise<RepositoryResult> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-bench-repo-'));
  try {
    const t0 = performance.now();
    const origin = await generateRepository(root, opts.files);
    const generateS = round((performance.now() - t0) / 1000);
    opts.progress(`  generated ${opts.files} files in ${generateS} s`);

    // (1) Change detection: the service's record + diff against `git status`, on one checkout.
    const gitDir = path.join(root, 'shadow');
    const workspace = path.join(root, 'workspace');
    await fs.mkdir(workspace);
    const config = loadConfig({}, { CCA_GIT_ALLOW_LOCAL: '1' });
    const access = await openRemote({ kind: 'local', path: origin }, undefined, {
      egress: config.egress,
      privateHosts: config.privateHosts,
      allowLocal: true,
    });
    const head = await inspectRemote(access, origin, undefined, { hasCredential: false, timeoutMs: 60_000 });
    const cloned = await cloneRepository({
      access,
      shown: origin,
      head,
      depth: 1,
      hasCredential: false,
      gitDir,
      workspace,
      maxBytes: 2 ** 34,
      maxCheckoutBytes: 2 ** 40,
      timeoutMs: 600_000,
    });
    await initGitDir(gitDir);
    await markRecorded(gitDir);
    const ours: number[] = [];
    const status: number[] = [];
    let base = cloned.commit;
    for (let i = 0; i < opts.runs; i++) {
      await fs.appendFile(path.join(workspace, 'src', `d${i % 10}`, 'f1.ts'), `// change ${i}\n`);
      let t = performance.now();
      const { commit } = await recordWorkspace({ gitDir, workspace, maxFileBytes: 100 * 2 ** 20, message: 'bench' });
      const changed = await changedPaths(gitDir, base, commit);
      ours.push(performance.now() - t);
      if (changed.length !== 1) throw new Error(`expected one changed path, got ${changed.length}`);
      base = commit;
      t = performance.now();
      await run('git', ['status', '--porcelain'], { cwd: workspace, env: GIT_ENV, maxBuffer: 1 << 26 });
      status.push(performance.now() - t);
    }
    const oursS = summarize(ours);
    const statusS = summarize(status);

    // (2) Whole invocations: a session on the repository and one on an empty workspace, each continued.
    const prompt = '[[scenario:repobench]] Write the file';
    const first = await svc.invoke({ prompt, repository: { url: origin } });
    const empty = await svc.invoke({ prompt });
    let errors = 0;
    if (first.status !== 200 || !first.body.output?.success)
      throw new Error(`the repository session did not start: ${JSON.stringify(first.body).slice(0, 500)}`);
    const repoMs: number[] = [];
    const emptyMs: number[] = [];
    for (let i = 0; i < opts.runs; i++) {
      for (const [sessionId, into] of [
        [first.body.output.session_id, repoMs],
        [empty.body.output.session_id, emptyMs],
      ] as const) {
        const t = performance.now();
        const res = await svc.invoke({ prompt, session_id: sessionId });
        if (res.status === 200 && res.body.output?.success) into.push(performance.now() - t);
        else errors += 1;
      }
    }
    const repoS = summarize(repoMs);
    const emptyS = summarize(emptyMs);
    return {
      files: opts.files,
      generate_s: generateS,
      change_detection: {
        service_ms: oursS,
        git_status_ms: statusS,
        ratio_p50: oursS && statusS ? round(oursS.p50 / statusS.p50, 2) : undefined,
      },
      invocation: {
        repository_ms: repoS,
        empty_ms: emptyS,
        ratio_p50: repoS && emptyS ? round(repoS.p50 / emptyS.p50, 2) : undefined,
        errors,
      },
    };
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

/** The phase's lines of the report. */
export function formatRepository(r: RepositoryResult): string {
  const fmt = (s: Summary | undefined) => (s ? `p50 ${round(s.p50)} ms, p95 ${round(s.p95)} ms` : 'n/a');
  return [
    `Large repository (${r.files} files + 2000 ignored in node_modules, one file changed per run):`,
    `  change detection: service ${fmt(r.change_detection.service_ms)}; git status ${fmt(r.change_detection.git_status_ms)}; ratio p50 ${r.change_detection.ratio_p50 ?? 'n/a'} (goal <= 1.5)`,
    `  invocation: repository ${fmt(r.invocation.repository_ms)}; empty workspace ${fmt(r.invocation.empty_ms)}; ratio p50 ${r.invocation.ratio_p50 ?? 'n/a'} (goal <= 1.2), ${r.invocation.errors} errors`,
  ].join('\n');
}
