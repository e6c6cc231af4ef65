import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedLookup, NO_PRIVATE_HOSTS, parsePrivateHosts, PrivateAddressError } from '../egress/index.js';
import { git, startGitServer, type TestGitServer } from '../../test/support/git-server.js';
import { startGitHubPeer, type GitHubPeer } from '../../test/support/github-peer.js';
import { createPullRequest, defaultBranch, GitHubError, NotAGitHubRepoError, parseGitHubRepo } from './github.js';

const TOKEN = 'ghp_peer-token-0123456789abcdef';
const lookup = guardedLookup(parsePrivateHosts(['127.0.0.1']));
let peer: GitHubPeer;
let gitServer: TestGitServer;
let conn: { apiUrl: string; token: string; lookup: typeof lookup; timeoutMs: number };

beforeAll(async () => {
  gitServer = await startGitServer();
  const repo = await gitServer.createRepo('app', { 'README.md': '# app\n' }, { branch: 'trunk' });
  // A branch one commit ahead of trunk, and one at trunk's commit.
  const bare = repo.dir;
  const tree = await git(['rev-parse', 'trunk^{tree}'], bare);
  const ahead = await git(['commit-tree', tree, '-p', repo.head, '-m', 'change'], bare);
  await git(['update-ref', 'refs/heads/cca/feature', ahead], bare);
  await git(['update-ref', 'refs/heads/cca/same', repo.head], bare);
  peer = await startGitHubPeer({
    token: TOKEN,
    repos: { 'acme/app': { defaultBranch: 'trunk', gitRepo: 'app' }, 'acme/plain': {} },
    git: gitServer,
  });
  conn = { apiUrl: peer.url, token: TOKEN, lookup, timeoutMs: 5000 };
});
afterAll(async () => {
  await peer.close();
  await gitServer.close();
});

describe('parseGitHubRepo', () => {
  it('reads owner and repository from github.com and GHE URLs, with the API root of each', () => {
    expect(parseGitHubRepo('https://github.com/acme/app.git')).toEqual({
      host: 'github.com',
      owner: 'acme',
      repo: 'app',
      apiUrl: 'https://api.github.com',
    });
    expect(parseGitHubRepo('https://github.com/acme/my.repo/')).toMatchObject({ owner: 'acme', repo: 'my.repo' });
    expect(parseGitHubRepo('https://GHE.example.com/team/svc.git')).toEqual({
      host: 'ghe.example.com',
      owner: 'team',
      repo: 'svc',
      apiUrl: 'https://ghe.example.com/api/v3',
    });
  });

  it('refuses what is not https://HOST/OWNER/REPO, without repeating credentials', () => {
    for (const bad of [
      'not a url',
      'http://github.com/a/b',
      'https://github.com/a',
      'https://github.com/a/b/tree/main',
      'git@github.com:a/b.git',
      'https://github.com/a/..',
    ]) {
      expect(() => parseGitHubRepo(bad)).toThrow(NotAGitHubRepoError);
    }
    try {
      parseGitHubRepo('https://user:s3cret@github.com/a');
    } catch (err) {
      expect((err as Error).message).not.toContain('s3cret');
      expect((err as NotAGitHubRepoError).status).toBe(400);
    }
  });
});

describe('defaultBranch', () => {
  it("returns the repository's default branch, sending GitHub's headers", async () => {
    expect(await defaultBranch({ ...conn, owner: 'acme', repo: 'app' })).toBe('trunk');
    const req = peer.requests.at(-1);
    expect(req?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req?.headers.accept).toBe('application/vnd.github+json');
    expect(req?.headers['x-github-api-version']).toBe('2022-11-28');
    expect(req?.headers['user-agent']).toBeTruthy();
  });

  it('404 and 401 become typed errors that never contain the token', async () => {
    const missing = await defaultBranch({ ...conn, owner: 'acme', repo: 'nope' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(GitHubError);
    expect(missing).toMatchObject({ reason: 'not_found', githubStatus: 404 });
    const bad = await defaultBranch({ ...conn, token: 'ghp_wrong-token-987654321', owner: 'acme', repo: 'app' }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ reason: 'unauthorized', githubStatus: 401, status: 502 });
    expect((bad as Error).message).toMatch(/401 Bad credentials/);
    expect(JSON.stringify((bad as GitHubError).toJSON())).not.toContain('ghp_wrong');
  });
});

describe('createPullRequest', () => {
  it('opens a pull request and returns its number and links', async () => {
    const pr = await createPullRequest({
      ...conn,
      owner: 'acme',
      repo: 'app',
      head: 'cca/feature',
      base: 'trunk',
      title: 'Add a thing',
      body: 'Made by cca',
      draft: true,
    });
    expect(pr).toEqual({
      number: 1,
      url: 'https://github.test/acme/app/pull/1',
      api_url: `${peer.url}/repos/acme/app/pulls/1`,
      existing: false,
    });
    expect(peer.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: '/repos/acme/app/pulls',
      body: { title: 'Add a thing', head: 'cca/feature', base: 'trunk', body: 'Made by cca', draft: true },
    });
  });

  it('returns the pull request already open for the branch, with existing: true', async () => {
    const pr = await createPullRequest({ ...conn, owner: 'acme', repo: 'app', head: 'cca/feature', base: 'trunk', title: 'Again' });
    expect(pr).toMatchObject({ number: 1, existing: true });
    expect(peer.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/repos/acme/app/pulls',
      query: 'head=acme%3Acca%2Ffeature&state=open&per_page=1',
    });
    expect(peer.pulls).toHaveLength(1);
  });

  it("words GitHub's 422 reasons: a head without commits, a head that does not exist", async () => {
    const same = await createPullRequest({ ...conn, owner: 'acme', repo: 'app', head: 'cca/same', base: 'trunk', title: 'x' }).catch(
      (e: unknown) => e,
    );
    expect(same).toMatchObject({ reason: 'validation', githubStatus: 422 });
    expect((same as Error).message).toContain('No commits between trunk and cca/same');
    const missing = await createPullRequest({ ...conn, owner: 'acme', repo: 'app', head: 'cca/none', base: 'trunk', title: 'x' }).catch(
      (e: unknown) => e,
    );
    expect((missing as Error).message).toMatch(/422 Validation Failed: PullRequest head invalid/);
  });

  it('times out on a peer that does not answer, and fails on a refused connection', async () => {
    peer.delayMs = 2000;
    try {
      const slow = await createPullRequest({
        ...conn,
        timeoutMs: 200,
        owner: 'acme',
        repo: 'plain',
        head: 'a',
        base: 'main',
        title: 't',
      }).catch((e: unknown) => e);
      expect(slow).toMatchObject({ reason: 'timeout' });
    } finally {
      peer.delayMs = 0;
    }
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = await defaultBranch({ ...conn, apiUrl: `http://127.0.0.1:${port}`, owner: 'acme', repo: 'app' }).catch(
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ reason: 'network' });
    expect((refused as Error).message).not.toContain(TOKEN);
  });

  it('connects only where the lookup allows: the default guarded lookup refuses 127.0.0.1', async () => {
    const before = peer.requests.length;
    const err = await createPullRequest({
      ...conn,
      lookup: guardedLookup(NO_PRIVATE_HOSTS),
      owner: 'acme',
      repo: 'plain',
      head: 'a',
      base: 'main',
      title: 't',
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'network' });
    expect((err as Error).message).toContain(new PrivateAddressError('127.0.0.1', '127.0.0.1').message);
    // Also by a name that resolves to loopback.
    const named = await defaultBranch({
      ...conn,
      apiUrl: peer.url.replace('127.0.0.1', 'localhost'),
      lookup: guardedLookup(NO_PRIVATE_HOSTS),
      owner: 'acme',
      repo: 'app',
    }).catch((e: unknown) => e);
    expect((named as Error).message).toMatch(/localhost is at (127\.0\.0\.1|::1), a loopback/);
    expect(peer.requests.length).toBe(before);
  });
});
