/**
 * A local stand-in for GitHub's REST API (there is no local GitHub to test against), with just the
 * endpoints the service uses, on 127.0.0.1 with an OS-assigned port:
 *
 * - `GET /repos/{owner}/{repo}`: the repository, with `default_branch`.
 * - `POST /repos/{owner}/{repo}/pulls`: opens a pull request, 201 with `number`, `url`, `html_url`.
 * - `GET /repos/{owner}/{repo}/pulls?head=OWNER:BRANCH&state=open`: the matching pull requests.
 *
 * The documented behaviours it copies (docs.github.com/rest/pulls/pulls, /rest/repos/repos,
 * /rest/using-the-rest-api/troubleshooting-the-rest-api): `Authorization: Bearer TOKEN` checked,
 * else 401 `{"message":"Bad credentials"}`; an unknown repository is 404 `{"message":"Not Found"}`
 * (also what a token without access gets); a body that is not JSON is 400 "Problems parsing
 * JSON"; a missing `title`/`head`/`base` is 422 "Validation Failed" with a `missing_field` error;
 * a second open pull request for the same head is 422 with `errors[].message` "A pull request
 * already exists for OWNER:BRANCH."; and, when the repository is wired to a repository of the test
 * git server, a head branch that does not exist there is 422 (`field: head, code: invalid`) and a
 * head at the same commit as the base is 422 "No commits between BASE and HEAD". Every answer has
 * `documentation_url` like GitHub's. It does not copy pagination, permissions or rate limits.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestGitServer } from './git-server.js';

const DOCS = 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request';

export interface PeerRepo {
  defaultBranch?: string;
  /** The test git server's repository (`createRepo` name) whose branches are the real ones. */
  gitRepo?: string;
}

export interface GitHubPeerOptions {
  /** The token the peer accepts. */
  token: string;
  /** `owner/repo` → the repository; others are 404. */
  repos: Record<string, PeerRepo>;
  git?: TestGitServer;
}

export interface PeerRequest {
  method: string;
  path: string;
  query: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface PeerPull {
  number: number;
  owner: string;
  repo: string;
  title: string;
  head: string;
  base: string;
  body: string;
  draft: boolean;
  state: 'open' | 'closed';
}

export interface GitHubPeer {
  /** The API root (`http://127.0.0.1:PORT`), what `apiUrl` takes. */
  url: string;
  requests: PeerRequest[];
  pulls: PeerPull[];
  /** Milliseconds to wait before answering (to test timeouts). */
  delayMs: number;
  close(): Promise<void>;
}

/**
 * Starts the peer; close it afterwards.
 * @example const peer = await startGitHubPeer({ token: 'ghp_x', repos: { 'acme/app': {} } });
 */
export async function startGitHubPeer(opts: GitHubPeerOptions): Promise<GitHubPeer> {
  const requests: PeerRequest[] = [];
  const pulls: PeerPull[] = [];
  let base = '';
  const peer = { requests, pulls, delayMs: 0 };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://peer.invalid');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = undefined;
      let badJson = false;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          badJson = true;
        }
      }
      requests.push({ method: req.method ?? '', path: url.pathname, query: url.search.slice(1), headers: req.headers, body });
      const send = (status: number, json: unknown) =>
        setTimeout(() => {
          res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify(json));
        }, peer.delayMs);
      void answer(req.method ?? '', url, body, badJson, req.headers.authorization).then(
        ([status, json]) => send(status, json),
        (err: Error) => send(500, { message: err.message }),
      );
    });
  });

  async function answer(method: string, url: URL, body: unknown, badJson: boolean, auth: string | undefined): Promise<[number, unknown]> {
    if (auth !== `Bearer ${opts.token}`) return [401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' }];
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/pulls)?$/.exec(url.pathname);
    const owner = decodeURIComponent(m?.[1] ?? '');
    const name = decodeURIComponent(m?.[2] ?? '');
    const repo = opts.repos[`${owner}/${name}`];
    if (m === null || repo === undefined) return [404, { message: 'Not Found', documentation_url: DOCS, status: '404' }];
    if (m[3] === undefined && method === 'GET') {
      return [
        200,
        { name, full_name: `${owner}/${name}`, owner: { login: owner }, default_branch: repo.defaultBranch ?? 'main', private: true },
      ];
    }
    if (m[3] === undefined) return [404, { message: 'Not Found', documentation_url: DOCS, status: '404' }];
    if (method === 'GET') {
      const head = url.searchParams.get('head');
      const state = url.searchParams.get('state') ?? 'open';
      const found = pulls.filter(
        (p) =>
          p.owner === owner &&
          p.repo === name &&
          (head === null || `${owner}:${p.head}` === head) &&
          (state === 'all' || p.state === state),
      );
      return [200, found.map((p) => pullJson(p))];
    }
    if (method !== 'POST') return [404, { message: 'Not Found', documentation_url: DOCS, status: '404' }];
    if (badJson) return [400, { message: 'Problems parsing JSON', documentation_url: DOCS, status: '400' }];
    const b = (body ?? {}) as Record<string, unknown>;
    for (const field of ['title', 'head', 'base']) {
      if (typeof b[field] !== 'string' || b[field] === '')
        return [422, validation([{ resource: 'PullRequest', code: 'missing_field', field }])];
    }
    const head = String(b.head).replace(new RegExp(`^${owner}:`), '');
    const baseBranch = String(b.base);
    if (repo.gitRepo !== undefined && opts.git !== undefined) {
      const headSha = await opts.git.readRef(repo.gitRepo, `refs/heads/${head}`);
      const baseSha = await opts.git.readRef(repo.gitRepo, `refs/heads/${baseBranch}`);
      if (headSha === undefined) return [422, validation([{ resource: 'PullRequest', field: 'head', code: 'invalid' }])];
      if (baseSha === undefined) return [422, validation([{ resource: 'PullRequest', field: 'base', code: 'invalid' }])];
      if (headSha === baseSha)
        return [422, validation([{ resource: 'PullRequest', code: 'custom', message: `No commits between ${baseBranch} and ${head}` }])];
    }
    if (pulls.some((p) => p.owner === owner && p.repo === name && p.head === head && p.base === baseBranch && p.state === 'open'))
      return [
        422,
        validation([{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${owner}:${head}.` }]),
      ];
    const pull: PeerPull = {
      number: pulls.length + 1,
      owner,
      repo: name,
      title: String(b.title),
      head,
      base: baseBranch,
      body: typeof b.body === 'string' ? b.body : '',
      draft: b.draft === true,
      state: 'open',
    };
    pulls.push(pull);
    return [201, pullJson(pull)];
  }

  function pullJson(p: PeerPull): Record<string, unknown> {
    return {
      id: 1000 + p.number,
      number: p.number,
      state: p.state,
      title: p.title,
      body: p.body,
      draft: p.draft,
      url: `${base}/repos/${p.owner}/${p.repo}/pulls/${p.number}`,
      html_url: `https://github.test/${p.owner}/${p.repo}/pull/${p.number}`,
      head: { ref: p.head, label: `${p.owner}:${p.head}` },
      base: { ref: p.base, label: `${p.owner}:${p.base}` },
    };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(peer, {
    url: base,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

function validation(errors: Array<Record<string, string>>): Record<string, unknown> {
  return { message: 'Validation Failed', errors, documentation_url: DOCS, status: '422' };
}
