import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, startGitServer, type TestGitServer } from './git-server.js';

const AUTH = { username: 'x-access-token', password: 'ghs_test-token-123' };
const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'cca-git-client-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('git server (public)', () => {
  let server: TestGitServer;
  beforeAll(async () => {
    server = await startGitServer();
  });
  afterAll(() => server.close());

  it('serves a clone of the files, on the repository branch', async () => {
    const repo = await server.createRepo('app', { 'README.md': '# app\n', 'src/main.py': 'print(1)\n' }, { branch: 'trunk' });
    const dir = await tempDir();
    await git(['clone', '-q', repo.url, 'app'], dir);
    expect(await readFile(path.join(dir, 'app', 'src/main.py'), 'utf8')).toBe('print(1)\n');
    expect(await git(['rev-parse', 'HEAD'], path.join(dir, 'app'))).toBe(repo.head);
    expect(await git(['branch', '--show-current'], path.join(dir, 'app'))).toBe('trunk');
    expect(server.requests.some((r) => r.path === '/app.git/info/refs' && r.query === 'service=git-upload-pack' && r.status === 200)).toBe(
      true,
    );
    expect(server.requests.every((r) => r.user === undefined)).toBe(true);
  });

  it('fetches a tag (on the first commit) and a commit by id, shallowly', async () => {
    const repo = await server.createRepo(
      'tagged',
      { 'a.txt': 'one\n' },
      { tags: ['v1.0.0'], extraCommits: [{ 'a.txt': 'two\n' }, { 'b.txt': 'b\n' }] },
    );
    expect(repo.commits).toHaveLength(3);
    const dir = await tempDir();
    await git(['init', '-q', 'w'], dir);
    const work = path.join(dir, 'w');
    await git(['fetch', '-q', '--depth', '1', repo.url, 'refs/tags/v1.0.0'], work);
    expect(await git(['rev-parse', 'FETCH_HEAD'], work)).toBe(repo.commits[0]);
    await git(['fetch', '-q', '--depth', '1', repo.url, repo.commits[1] as string], work);
    expect(await git(['rev-parse', 'FETCH_HEAD'], work)).toBe(repo.commits[1]);
    await git(['checkout', '-q', 'FETCH_HEAD'], work);
    expect(await readFile(path.join(work, 'a.txt'), 'utf8')).toBe('two\n');
    expect(await server.readRef('tagged', 'v1.0.0')).toBe(repo.commits[0]);
    expect(await server.readRef('tagged', 'main')).toBe(repo.head);
    expect(await server.readRef('tagged', 'nope')).toBeUndefined();
  });

  it('accepts a push of a new branch, which readRef then sees', async () => {
    const repo = await server.createRepo('pushme', { 'x.txt': 'x\n' });
    const dir = await tempDir();
    await git(['clone', '-q', repo.url, 'c'], dir);
    const work = path.join(dir, 'c');
    await writeFile(path.join(work, 'y.txt'), 'y\n');
    await git(['add', 'y.txt'], work);
    await git(['commit', '-q', '-m', 'add y'], work);
    const sha = await git(['rev-parse', 'HEAD'], work);
    await git(['push', '-q', 'origin', 'HEAD:refs/heads/cca/feature'], work);
    expect(await server.readRef('pushme', 'refs/heads/cca/feature')).toBe(sha);
    expect(await server.readRef('pushme', 'main')).toBe(repo.head);
    expect(server.requests.some((r) => r.method === 'POST' && r.path === '/pushme.git/git-receive-pack' && r.status === 200)).toBe(true);
  });

  it('takes chunked pushes of a big repository and gzip request bodies (over 1 KiB of wants)', async () => {
    const big = await server.createBigRepo('big', 3 * 2 ** 20);
    const dir = await tempDir();
    await git(['clone', '-q', big.url, 'b'], dir);
    const work = path.join(dir, 'b');
    const other = path.join(dir, 'o');
    await git(['clone', '-q', big.url, other], dir);
    // Over http.postBuffer (1 MiB), so git streams the push chunked, without a Content-Length.
    await writeFile(path.join(other, 'more.bin'), randomBytes(2 * 2 ** 20));
    await git(['add', 'more.bin'], other);
    await git(['commit', '-q', '-m', 'more'], other);
    const refspecs = ['HEAD:refs/heads/bigger'];
    for (let i = 0; i < 30; i++) {
      await git(['commit', '-q', '--allow-empty', '-m', `branch ${i}`], other);
      refspecs.push(`HEAD:refs/heads/b${i}`);
    }
    await git(['push', '-q', 'origin', ...refspecs], other);
    expect(await server.readRef('big', 'b29')).toBe(await git(['rev-parse', 'HEAD'], other));
    // git first probes with a 4-byte "0000" body, then streams the pack.
    const pushes = server.requests.filter((r) => r.path === '/big.git/git-receive-pack');
    expect(Math.max(...pushes.map((r) => r.bodyBytes))).toBeGreaterThan(2 * 2 ** 20);
    // 31 "want" lines are over 1 KiB: git gzips the request body.
    await git(['fetch', '-q', 'origin', 'refs/heads/*:refs/remotes/origin/*'], work);
    expect(await git(['rev-parse', 'origin/b17'], work)).toBe(await server.readRef('big', 'b17'));
    expect(server.requests.some((r) => r.path === '/big.git/git-upload-pack' && r.contentEncoding === 'gzip' && r.status === 200)).toBe(
      true,
    );
  });
});

describe('git server (Basic auth)', () => {
  let server: TestGitServer;
  beforeAll(async () => {
    server = await startGitServer({ auth: AUTH });
  });
  afterAll(() => server.close());

  it('answers 401 with WWW-Authenticate to a request without credentials, and git fails', async () => {
    const repo = await server.createRepo('private', { 'secret.txt': 's\n' });
    const res = await fetch(`${repo.url}/info/refs?service=git-upload-pack`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="git"');
    const wrong = await fetch(`${repo.url}/info/refs?service=git-upload-pack`, {
      headers: { Authorization: server.basicAuth('x', 'bad') },
    });
    expect(wrong.status).toBe(401);
    const dir = await tempDir();
    await expect(git(['clone', '-q', repo.url, 'p'], dir)).rejects.toThrow(/Authentication failed|could not read Username/);
  });

  it('clones and pushes with the credentials in an extra header, and records the user', async () => {
    const repo = await server.createRepo('private2', { 'secret.txt': 's\n' });
    const dir = await tempDir();
    const header = ['-c', `http.extraHeader=Authorization: ${server.basicAuth()}`];
    await git([...header, 'clone', '-q', repo.url, 'p'], dir);
    const work = path.join(dir, 'p');
    expect(await readFile(path.join(work, 'secret.txt'), 'utf8')).toBe('s\n');
    await git(['commit', '-q', '--allow-empty', '-m', 'empty'], work);
    await git([...header, 'push', '-q', 'origin', 'HEAD:refs/heads/pr'], work);
    expect(await server.readRef('private2', 'pr')).toBe(await git(['rev-parse', 'HEAD'], work));
    const served = server.requests.filter((r) => r.status !== 401);
    expect(served.length).toBeGreaterThan(0);
    expect(served.every((r) => r.user === AUTH.username)).toBe(true);
  });
});
