/**
 * After the run and its record: the session's changes as a branch on the remote, and a pull
 * request from it when asked. Both run in the service with the request's credential; neither can
 * fail the invocation: a push or pull request that did not work is reported in `output.push`.
 */
import { createPullRequest, defaultBranch, parseGitHubRepo, pushBranch, pushParent, runGit } from '../codebase/index.js';
import type { Config } from '../config/index.js';
import { guardedLookup } from '../egress/index.js';
import type { Logger } from '../logging/index.js';
import type { PushResult, RepositoryInfo } from '../schemas/changes.js';
import type { GitPlan } from './git-admission.js';

const PUSH_TIMEOUT_MS = 120_000;

/**
 * Commits the recorded workspace on the session's last pushed commit (or its cloned one) and pushes.
 * @example const push = await pushChanges(config, plan, { gitDir, head, origin, ran: true, prompt, log });
 */
export async function pushChanges(
  config: Config,
  plan: GitPlan,
  input: { gitDir: string; head: string | undefined; origin: RepositoryInfo | undefined; completed: boolean; prompt: string; log: Logger },
): Promise<PushResult | undefined> {
  const push = plan.push;
  if (push === undefined) return undefined;
  const { branch } = push;
  if (!input.completed || input.head === undefined || input.origin === undefined) {
    return {
      branch,
      status: 'skipped',
      commit: null,
      error: 'The run did not complete, so nothing was pushed; the changes are in the session.',
    };
  }
  const parent = await pushParent(input.gitDir, branch, input.origin.commit);
  if (await sameTree(input.gitDir, parent, input.head)) return { branch, status: 'no_changes', commit: null };
  let commit: string;
  try {
    commit = await pushBranch({
      gitDir: input.gitDir,
      access: push.access,
      shown: push.shown,
      hasCredential: plan.credential !== undefined,
      branch,
      parent,
      head: input.head,
      message: push.message ?? defaultMessage(input.prompt),
      author: config.git.author,
      timeoutMs: PUSH_TIMEOUT_MS,
    });
  } catch (err) {
    input.log.warn({ err: String(err), branch }, 'push failed');
    return { branch, status: 'failed', commit: null, error: err instanceof Error ? err.message : String(err) };
  }
  input.log.info({ branch, commit }, 'pushed');
  const result: PushResult = { branch, status: 'pushed', commit };
  if (plan.pullRequest === undefined) return result;
  return { ...result, pull_request: await openPullRequest(config, plan, input.origin, branch, input.prompt) };
}

async function openPullRequest(
  config: Config,
  plan: GitPlan,
  origin: RepositoryInfo,
  branch: string,
  prompt: string,
): Promise<NonNullable<PushResult['pull_request']>> {
  const pr = plan.pullRequest;
  const token = plan.credential?.token;
  if (pr === undefined || token === undefined) return { status: 'skipped', error: 'A pull request needs git_token.' };
  try {
    const repo = parseGitHubRepo(origin.url);
    const connection = { apiUrl: apiUrlFor(config.git.githubApiUrl, repo), token, lookup: guardedLookup(config.privateHosts) };
    const base = pr.base ?? origin.branch ?? undefined;
    const opened = await createPullRequest({
      ...connection,
      owner: repo.owner,
      repo: repo.repo,
      head: branch,
      base: base ?? (await defaultBranch({ ...connection, owner: repo.owner, repo: repo.repo })),
      title: pr.title ?? firstLine(prompt),
      body: pr.body ?? `Opened by claude-code-agent for the task:\n\n> ${prompt.slice(0, 2000).replace(/\n/g, '\n> ')}`,
      draft: pr.draft,
    });
    return { status: opened.existing ? 'existing' : 'opened', number: opened.number, url: opened.url };
  } catch (err) {
    return { status: 'failed', error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * The API for the repository's host: the operator's CCA_GITHUB_API_URL is for github.com or for
 * its own host only, so a token never goes to the API of another host than the one it is for.
 */
function apiUrlFor(configured: string | undefined, repo: { host: string; apiUrl: string }): string {
  if (configured === undefined) return repo.apiUrl;
  const host = new URL(configured).hostname.toLowerCase();
  const repoHost = repo.host.replace(/:\d+$/, '');
  const forGitHub = repoHost === 'github.com';
  return forGitHub || host === repoHost || host === `api.${repoHost}` ? configured : repo.apiUrl;
}

async function sameTree(gitDir: string, a: string, b: string): Promise<boolean> {
  const trees = await Promise.all([a, b].map(async (c) => (await runGit(['rev-parse', `${c}^{tree}`], { gitDir })).toString().trim()));
  return trees[0] === trees[1];
}

function defaultMessage(prompt: string): string {
  return `${firstLine(prompt)}\n\nMade by claude-code-agent for the task:\n\n${prompt.slice(0, 4000)}`;
}

function firstLine(prompt: string): string {
  const line = prompt.trim().split('\n')[0] ?? 'Changes';
  return line.length > 72 ? `${line.slice(0, 69)}...` : line;
}
