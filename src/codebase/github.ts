/**
 * The little of GitHub's REST API a pull request needs: which repository a clone URL names, its
 * default branch, and opening the pull request (or finding the one already open for the branch).
 * Every call goes through `githubRequest`, which connects only where the egress rules allow.
 */
import { GitHubError, NotAGitHubRepoError } from './github-error.js';
import { GITHUB_API_URL, githubRequest, type GitHubConnection, type GitHubResponse } from './github-http.js';

export { GitHubError, NotAGitHubRepoError, type GitHubFailure } from './github-error.js';
export { GITHUB_API_URL, type GitHubConnection } from './github-http.js';

/** A repository on GitHub or GitHub Enterprise Server. */
export interface GitHubRepo {
  /** Lower-cased host of the clone URL: `github.com` or the GHE host. */
  host: string;
  owner: string;
  repo: string;
  /** The REST API root for the host: `https://api.github.com` or `https://HOST/api/v3`. */
  apiUrl: string;
}

/** A pull request as the caller needs it. */
export interface PullRequest {
  number: number;
  /** The page people open (`html_url`). */
  url: string;
  api_url: string;
  /** True when one was already open for the branch, and this is it. */
  existing: boolean;
}

const NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Owner and repository of an `https://HOST/OWNER/REPO[.git]` URL (github.com or a GHE host);
 * throws NotAGitHubRepoError for anything else.
 * @example parseGitHubRepo('https://github.com/acme/app.git') // { host: 'github.com', owner: 'acme', repo: 'app', apiUrl: 'https://api.github.com' }
 */
export function parseGitHubRepo(url: string): GitHubRepo {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NotAGitHubRepoError(`"${url}" is not a URL; a GitHub repository is https://github.com/OWNER/REPO(.git).`);
  }
  const parts = parsed.pathname.replace(/\/+$/, '').split('/').slice(1);
  const owner = parts[0] ?? '';
  const repo = (parts[1] ?? '').replace(/\.git$/, '');
  // http only for a host of the operator's own (GitHub Enterprise inside its network), never github.com.
  const plainAllowed = parsed.protocol === 'http:' && !/^(www\.)?github\.com$/i.test(parsed.hostname);
  if (
    (parsed.protocol !== 'https:' && !plainAllowed) ||
    parts.length !== 2 ||
    !NAME.test(owner) ||
    !NAME.test(repo) ||
    repo === '.' ||
    repo === '..'
  ) {
    // The URL may carry credentials: name only its host and path.
    throw new NotAGitHubRepoError(
      `https://${parsed.host}${parsed.pathname} does not name a GitHub repository: expected https://HOST/OWNER/REPO(.git), e.g. https://github.com/acme/app.git.`,
    );
  }
  const host = parsed.host.toLowerCase();
  const apiUrl = host === 'github.com' || host === 'www.github.com' ? GITHUB_API_URL : `https://${host}/api/v3`;
  return { host: host === 'www.github.com' ? 'github.com' : host, owner, repo, apiUrl };
}

/**
 * The repository's default branch (`GET /repos/{owner}/{repo}`).
 * @example const base = await defaultBranch({ token, lookup, owner: 'acme', repo: 'app' });
 */
export async function defaultBranch(opts: GitHubConnection & { owner: string; repo: string }): Promise<string> {
  const res = await githubRequest(opts, 'GET', repoPath(opts));
  if (res.status !== 200) throw failure(res, `${opts.owner}/${opts.repo}`);
  const branch = (res.json as { default_branch?: unknown } | undefined)?.default_branch;
  if (typeof branch !== 'string')
    throw new GitHubError('unexpected', `GitHub's answer for ${opts.owner}/${opts.repo} has no default_branch`, res.status);
  return branch;
}

/** What a pull request is opened with. `head` is a branch of `owner/repo` (or `OWNER:branch` of a fork). */
export interface PullRequestInput extends GitHubConnection {
  owner: string;
  repo: string;
  head: string;
  base: string;
  title: string;
  body?: string;
  draft?: boolean;
}

/**
 * Opens a pull request (`POST /repos/{owner}/{repo}/pulls`); when GitHub says one is already open
 * for the branch, returns that one with `existing: true`.
 * @example const pr = await createPullRequest({ token, lookup, owner, repo, head: 'cca/fix', base: 'main', title: 'Fix' });
 */
export async function createPullRequest(input: PullRequestInput): Promise<PullRequest> {
  const { owner, repo, head, base, title, body, draft } = input;
  const res = await githubRequest(input, 'POST', `${repoPath(input)}/pulls`, {
    title,
    head,
    base,
    body: body ?? '',
    draft: draft ?? false,
  });
  if (res.status === 201) return pullRequestOf(res, false);
  if (res.status === 422 && validationMessages(res).some((m) => /already exists/i.test(m))) {
    const found = await openPullRequestFor(input, head.includes(':') ? head : `${owner}:${head}`);
    if (found !== undefined) return found;
  }
  throw failure(res, `${owner}/${repo}`, `the pull request ${head} → ${base}`);
}

/** The open pull request whose head is `OWNER:branch`, if any. */
async function openPullRequestFor(
  conn: GitHubConnection & { owner: string; repo: string },
  head: string,
): Promise<PullRequest | undefined> {
  const res = await githubRequest(conn, 'GET', `${repoPath(conn)}/pulls?head=${encodeURIComponent(head)}&state=open&per_page=1`);
  if (res.status !== 200) throw failure(res, `${conn.owner}/${conn.repo}`);
  if (!Array.isArray(res.json) || res.json.length === 0) return undefined;
  return pullRequestOf({ ...res, json: res.json[0] }, true);
}

function repoPath({ owner, repo }: { owner: string; repo: string }): string {
  return `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
}

function pullRequestOf(res: GitHubResponse, existing: boolean): PullRequest {
  const pr = res.json as { number?: unknown; html_url?: unknown; url?: unknown } | undefined;
  if (typeof pr?.number !== 'number' || typeof pr.html_url !== 'string' || typeof pr.url !== 'string') {
    throw new GitHubError('unexpected', 'GitHub answered without the pull request (number, html_url, url)', res.status);
  }
  return { number: pr.number, url: pr.html_url, api_url: pr.url, existing };
}

/** GitHub's 422 reasons: `errors[].message`, or `field code` for the errors that have no message. */
function validationMessages(res: GitHubResponse): string[] {
  const errors = (res.json as { errors?: unknown } | undefined)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors.map((e: { message?: unknown; field?: unknown; code?: unknown; resource?: unknown }) =>
    typeof e.message === 'string' ? e.message : [e.resource, e.field, e.code].filter((p) => typeof p === 'string').join(' '),
  );
}

/** A GitHubError for a status that is not success, worded by what the status means on GitHub. */
function failure(res: GitHubResponse, repo: string, what = repo): GitHubError {
  const said = (res.json as { message?: unknown } | undefined)?.message;
  const message = typeof said === 'string' ? said : `HTTP ${res.status}`;
  const limited = res.headers['x-ratelimit-remaining'] === '0' || res.status === 429;
  if (res.status === 401)
    return new GitHubError('unauthorized', `GitHub refused the token for ${repo} (401 ${message}): it is wrong, expired or revoked.`, 401);
  if (limited) {
    const reset = Number(res.headers['x-ratelimit-reset']);
    const when = Number.isFinite(reset) && reset > 0 ? `; it resets at ${new Date(reset * 1000).toISOString()}` : '';
    return new GitHubError('rate_limited', `GitHub's rate limit for the token is used up (${res.status} ${message})${when}.`, res.status);
  }
  if (res.status === 403)
    return new GitHubError(
      'forbidden',
      `GitHub refused ${what} (403 ${message}): the token may not do this; it needs "Contents" and "Pull requests" write access to ${repo}.`,
      403,
    );
  if (res.status === 404)
    return new GitHubError('not_found', `GitHub has no repository ${repo} that the token can see (404 ${message}).`, 404);
  if (res.status === 422) {
    const reasons = validationMessages(res);
    return new GitHubError(
      'validation',
      `GitHub refused ${what} (422 ${message}${reasons.length > 0 ? `: ${reasons.join('; ')}` : ''}).`,
      422,
    );
  }
  return new GitHubError('unexpected', `GitHub answered ${res.status} for ${what}: ${message}`, res.status);
}
