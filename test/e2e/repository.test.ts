/**
 * Real codebases (issue 12): a session cloned from a real git server (`git http-backend` behind
 * Basic auth on 127.0.0.1), real Claude Code editing, renaming and deleting files in it through
 * the scripted model, `changes` and a `changes.patch` that `git apply --check` takes on the
 * original commit, the branch pushed back and fetched, and a pull request opened on a local
 * stand-in for GitHub's REST API (no local GitHub exists). Bad repositories get their 4xx before
 * anything is recorded, and the token is nowhere a caller or a run could read it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionRepo } from '../../src/sessions/index.js';
import { scenarios, text, toolUse } from '../support/model-server.js';
import { startGitServer, type CreatedRepo, type TestGitServer } from '../support/git-server.js';
import { startGitHubPeer, type GitHubPeer } from '../support/github-peer.js';
import { startTestService, type TestService } from '../support/service.js';

// Asynchronous: the git server answers from this very process.
const run = promisify(execFile);
const sh = async (args: string[], cwd: string, env: NodeJS.ProcessEnv) => (await run('git', args, { cwd, env })).stdout;

const TOKEN = 'ghp_secret_token_for_tests_0123456789';
const bash = (command: string) => ({ content: [toolUse('Bash', { command, description: 'work on the repo' })] });

const EDIT = [
  "sed -i 's/hello/goodbye/' src/app.py",
  'rm README.md',
  'mkdir -p docs && mv notes.txt docs/notes.txt',
  'echo fresh > added.txt',
  'mkdir -p build && echo obj > build/out.o',
  "printf '\\000\\001\\002new' > logo.bin",
  'git rev-parse HEAD > .head',
  'git remote get-url origin > .origin',
].join(' && ');

const script = scenarios({
  cli: [bash("sed -i 's/hello/hi/' src/app.py"), { content: [text('Done from the CLI.')] }],
  plain: [bash("printf 'hi\\n' > hello.txt && ln -s hello.txt link"), { content: [text('Wrote it.')] }],
  // The continued conversation counts its turns on from the first invocation's.
  edit: [bash(EDIT), { content: [text('Edited.')] }, bash("echo 'print(2)' >> src/app.py"), { content: [text('Again.')] }],
});

const CCA = path.resolve(import.meta.dirname, '../../bin/cca');
const notes = Array.from({ length: 30 }, (_, i) => `note line ${i}`).join('\n') + '\n';

describe('a repository as the workspace (real git, real Claude Code)', () => {
  let gitServer: TestGitServer;
  let peer: GitHubPeer;
  let svc: TestService;
  let repo: CreatedRepo;
  const scratch: string[] = [];

  beforeAll(async () => {
    gitServer = await startGitServer({ auth: { username: 'x-access-token', password: TOKEN } });
    repo = await gitServer.createRepo('acme/app', {
      'src/app.py': 'print("hello")\n',
      'README.md': '# app\n',
      'notes.txt': notes,
      'logo.bin': Buffer.from([0, 1, 2, 3, 255]),
      '.gitignore': 'build/\n',
    });
    peer = await startGitHubPeer({ token: TOKEN, repos: { 'acme/app': { defaultBranch: 'main', gitRepo: 'acme/app' } }, git: gitServer });
    svc = await startTestService({
      responder: script,
      env: { CCA_PRIVATE_HOSTS: '127.0.0.1', CCA_GITHUB_API_URL: peer.url, CCA_REPO_MAX_MB: '1' },
    });
  });
  afterAll(async () => {
    await svc?.close();
    await peer?.close();
    await gitServer?.close();
    for (const dir of scratch) await fs.rm(dir, { recursive: true, force: true });
  });

  const tmp = async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-repo-test-'));
    scratch.push(dir);
    return dir;
  };
  const gitEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

  it('clones, reports the changes, stores a patch that applies, pushes the branch and opens a pull request', async () => {
    const { status, body } = await svc.invoke({
      prompt: '[[scenario:edit]] change the greeting',
      repository: { url: repo.url },
      git_token: TOKEN,
      push: { branch: 'cca/greeting' },
      pull_request: { title: 'Change the greeting' },
    });
    expect(status).toBe(200);
    const out = body.output;
    expect(out.success).toBe(true);
    expect(out.repository).toEqual({ url: repo.url, ref: null, branch: 'main', commit: repo.head });

    // The run had a working checkout of its own, with the remote and no credential.
    const ws = path.join(svc.dataDir, 'sessions', out.session_id, 'workspace');
    expect((await fs.readFile(path.join(ws, '.head'), 'utf8')).trim()).toBe(repo.head);
    expect((await fs.readFile(path.join(ws, '.origin'), 'utf8')).trim()).toBe(repo.url);

    const byPath = Object.fromEntries(out.changes.files.map((f: { path: string }) => [f.path, f]));
    expect(out.changes.since).toBe('repository');
    expect(byPath['src/app.py']).toMatchObject({ status: 'modified', additions: 1, deletions: 1, binary: false });
    expect(byPath['README.md']).toMatchObject({ status: 'deleted' });
    expect(byPath['docs/notes.txt']).toMatchObject({ status: 'renamed', from: 'notes.txt' });
    expect(byPath['added.txt']).toMatchObject({ status: 'added' });
    expect(byPath['logo.bin']).toMatchObject({ status: 'modified', binary: true });
    expect(byPath['build/out.o']).toBeUndefined(); // .gitignore'd
    expect(out.changes.counts).toEqual({ added: 3, modified: 2, deleted: 1, renamed: 1 });

    // Stored: what was written, not what was ignored or deleted.
    const stored = out.metadata.uploaded_files.map((f: { file_name: string }) => f.file_name).sort();
    expect(stored).toEqual(['.head', '.origin', 'added.txt', 'docs/notes.txt', 'logo.bin', 'src/app.py']);

    // The patch, downloaded by its link, applies to the original commit.
    const patch = out.changes.patch;
    expect(patch.file_name).toBe('changes.patch');
    const res = await fetch(patch.download_url);
    expect(res.status).toBe(200);
    const patchText = await res.text();
    expect(patchText).toContain('-print("hello")');
    expect(patchText).toContain('rename from notes.txt');
    expect(patchText).not.toContain('logo.bin');
    const check = await tmp();
    await sh(['clone', '-q', `http://x-access-token:${TOKEN}@${repo.url.slice('http://'.length)}`, check], '/', gitEnv);
    await sh(['checkout', '-q', repo.head], check, gitEnv);
    await fs.writeFile(`${check}.patch`, patchText);
    await sh(['apply', '--check', `${check}.patch`], check, gitEnv);

    // The branch is on the remote, on top of the cloned commit, with the run's tree.
    expect(out.push).toMatchObject({ branch: 'cca/greeting', status: 'pushed' });
    expect(await gitServer.readRef('acme/app', 'refs/heads/cca/greeting')).toBe(out.push.commit);
    await sh(['fetch', '-q', 'origin', 'cca/greeting'], check, gitEnv);
    expect((await sh(['rev-parse', 'FETCH_HEAD^'], check, gitEnv)).trim()).toBe(repo.head);
    expect(await sh(['show', 'FETCH_HEAD:src/app.py'], check, gitEnv)).toBe('print("goodbye")\n');
    const files = (await sh(['ls-tree', '-r', '--name-only', 'FETCH_HEAD'], check, gitEnv)).split('\n');
    expect(files).not.toContain('README.md');
    expect(files).not.toContain('build/out.o');
    expect(files).toContain('docs/notes.txt');

    expect(out.push.pull_request).toMatchObject({ status: 'opened', number: 1 });
    expect(peer.pulls[0]).toMatchObject({ head: 'cca/greeting', base: 'main', title: 'Change the greeting' });

    // A continued session: its changes are against the previous invocation, and the push goes on top.
    const next = await svc.invoke({
      prompt: 'one more line',
      session_id: out.session_id,
      git_token: TOKEN,
      push: { branch: 'cca/greeting' },
    });
    expect(next.status).toBe(200);
    expect(next.body.output.changes).toMatchObject({ since: 'previous_invocation', files_total: 1, counts: { modified: 1 } });
    // A continued session is still a repository session: its files come from git, its origin is shown.
    expect(next.body.output.repository).toEqual(out.repository);
    expect(next.body.output.metadata.uploaded_files.map((f: { file_name: string }) => f.file_name)).toEqual(['src/app.py']);
    expect(next.body.output.push.status).toBe('pushed');
    expect(await gitServer.readRef('acme/app', 'refs/heads/cca/greeting^')).toBe(out.push.commit);

    // The token is nowhere a caller or a later run could read it.
    const everything = await readAll(svc.dataDir);
    expect(everything.includes(TOKEN)).toBe(false);
    expect(JSON.stringify(body).includes(TOKEN)).toBe(false);
  });

  it('reports the changes of a session without a repository too, against its empty start', async () => {
    const { status, body } = await svc.invoke({ prompt: '[[scenario:plain]] write hello' });
    expect(status).toBe(200);
    expect(body.output.changes).toMatchObject({ since: 'session_start', files_total: 2, counts: { added: 2 } });
    expect(body.output.repository).toBeUndefined();
    const patch = await (await fetch(body.output.changes.patch.download_url)).text();
    expect(patch).toContain('+hi');
    expect(patch).toContain('new file mode 120000');
  });

  it('answers 4xx before recording anything for a repository it cannot use', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ repository: { url: repo.url } }, 422, 'repository_auth_failed'],
      [{ repository: { url: repo.url }, git_token: 'wrong' }, 422, 'repository_auth_failed'],
      [{ repository: { url: repo.url, ref: 'no-such-branch' }, git_token: TOKEN }, 422, 'repository_ref_not_found'],
      [{ repository: { url: repo.url.replace('/acme/app.git', '/acme/none.git') }, git_token: TOKEN }, 422, 'repository_not_found'],
      [{ repository: { url: repo.url.replace('http://', `http://u:${TOKEN}@`) } }, 400, 'invalid_request'],
      [{ repository: { url: 'git@github.com:acme/app.git' } }, 400, 'invalid_request'],
      [{ repository: { url: 'file:///etc' } }, 400, 'invalid_request'],
      [{ repository: { url: repo.url.replace('127.0.0.1', '127.0.0.2') }, git_token: TOKEN }, 403, 'repository_host_not_allowed'],
      [{ repository: { url: 'http://169.254.169.254/latest/x.git' } }, 403, 'repository_host_not_allowed'],
      [{ repository: { url: repo.url, ref: '--upload-pack=touch /tmp/x' }, git_token: TOKEN }, 400, 'invalid_request'],
      [{ push: { branch: 'x' } }, 400, 'invalid_request'],
      [{ repository: { url: repo.url }, git_token: TOKEN, pull_request: {} }, 400, 'invalid_request'],
    ];
    const before = new SessionRepo(svc.runtime.db).listSessions(null, 1000).length;
    for (const [extra, status, code] of cases) {
      const res = await svc.invoke({ prompt: 'x', ...(extra as object) });
      expect({ extra, status: res.status, code: res.body.code }).toEqual({ extra, status, code });
      expect(res.body.message).toMatch(/\w/);
      expect(JSON.stringify(res.body).includes(TOKEN)).toBe(false);
    }
    expect(new SessionRepo(svc.runtime.db).listSessions(null, 1000).length).toBe(before);
  });

  it('stops a clone over the size limit and says so (413 to a synchronous caller)', async () => {
    const big = await gitServer.createBigRepo('acme/big', 3 * 1024 * 1024);
    const { status, body } = await svc.invoke({ prompt: '[[scenario:edit]] x', repository: { url: big.url }, git_token: TOKEN });
    // A synchronous caller gets the status of the error, and the output with it.
    expect(status).toBe(413);
    expect(body.output).toMatchObject({ success: false, stop_reason: 'workspace_error', error_code: 'repository_too_large' });
    expect(body.output.errors.join(' ')).toMatch(/larger than the 1 MB/);
  });
});

describe('a repository whose files would not fit the run', () => {
  it('is refused before its checkout writes anything: one blob named many times is counted each time', async () => {
    const gitServer = await startGitServer();
    const svc = await startTestService({ responder: script, env: { CCA_PRIVATE_HOSTS: '127.0.0.1', CCA_RUN_DISK_MB: '5' } });
    try {
      const blob = Buffer.alloc(1024 * 1024, 'a');
      const files = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`copies/a${i}.txt`, blob]));
      const repo = await gitServer.createRepo('acme/bomb', files);
      const { status, body } = await svc.invoke({ prompt: '[[scenario:edit]] x', repository: { url: repo.url } });
      expect(status).toBe(413);
      expect(body.output.errors.join(' ')).toMatch(/holds more than 5 MB of files/);
      const ws = path.join(svc.dataDir, 'sessions', body.output.session_id, 'workspace');
      expect(await fs.readdir(ws).catch(() => [])).toEqual([]);
    } finally {
      await svc.close();
      await gitServer.close();
    }
  });
});

describe('cca invoke --repo --push, with a credential the operator registered on the key (bin/cca: npm run build first)', () => {
  let gitServer: TestGitServer;
  let svc: TestService;
  let repo: CreatedRepo;

  beforeAll(async () => {
    gitServer = await startGitServer({ auth: { username: 'x-access-token', password: TOKEN } });
    repo = await gitServer.createRepo('acme/cli', { 'src/app.py': 'print("hello")\n' });
    svc = await startTestService({ mode: 'serve', responder: script, env: { CCA_PRIVATE_HOSTS: '127.0.0.1' } });
  });
  afterAll(async () => {
    await svc?.close();
    await gitServer?.close();
  });

  it("clones with the key's credential, prints the changes, the patch link and the pushed branch", async () => {
    const { record, key } = svc.runtime.keys.create('cli', {});
    const port = new URL(repo.url).port;
    // Registered with the operator's command, sealed under the service's signing key in its data dir.
    await run(CCA, ['keys', 'update', record.id, '--git-credential', `127.0.0.1:${port}=${TOKEN}`, '--data-dir', svc.dataDir]);
    const { stdout } = await run(
      CCA,
      ['invoke', '[[scenario:cli]] change it', '--repo', repo.url, '--push', 'cca/cli', '--endpoint', svc.url, '--api-key', key],
      { env: { ...process.env, CCA_GIT_TOKEN: '' } },
    );
    expect(stdout).toMatch(/· cloning http:\/\/127\.0\.0\.1:\d+\/acme\/cli\.git\n(.*\n)*· workspace ready/);
    expect(stdout).toMatch(/Changes \(1: 1 modified\):\n {2}M src\/app\.py {2}\+1 -1/);
    expect(stdout).toMatch(/Patch \(git apply\): http:\/\/127\.0\.0\.1:\d+\/files\//);
    const pushed = /Pushed cca\/cli at ([0-9a-f]{40})/.exec(stdout);
    expect(pushed?.[1]).toBe(await gitServer.readRef('acme/cli', 'refs/heads/cca/cli'));
    expect((await readAll(svc.dataDir)).includes(TOKEN)).toBe(false);
  });
});

/** Every byte under a directory, as latin1 text (SQLite, artifacts, git dirs, workspaces). */
async function readAll(dir: string): Promise<string> {
  const parts: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) parts.push(await fs.readFile(p, 'latin1'));
    }
  };
  await walk(dir);
  return parts.join('\n');
}
