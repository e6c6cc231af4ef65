/**
 * Handing a run's work back as a branch: the service commits the recorded tree on top of the
 * commit the session started from (or the last commit it pushed to that branch), with the
 * configured author, and pushes it with the request's credential, all outside the sandbox. It
 * never forces: a branch that moved on the remote is refused, and the output says so.
 */
import { GitCommandError, runGit } from './git.js';
import { remoteError, type RemoteAccess } from './remote.js';

/** Who commits, e.g. `{ name: 'claude-code-agent', email: 'cca@example.com' }`. */
export interface GitAuthor {
  name: string;
  email: string;
}

/** What one push needs. */
export interface PushJob {
  gitDir: string;
  access: RemoteAccess;
  shown: string;
  hasCredential: boolean;
  branch: string;
  /** The commit pushed commits go on top of. */
  parent: string;
  /** The recorded commit whose tree is pushed. */
  head: string;
  message: string;
  author: GitAuthor;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  path?: string | undefined;
}

/** The branch was not pushed: the remote has commits on it that the session does not (422). */
export class PushRejectedError extends Error {
  override name = 'PushRejectedError';
}

/**
 * Commits `head`'s tree on `parent` and pushes it to `branch`; resolves with the new commit id.
 * @example const commit = await pushBranch({ gitDir, access, shown, hasCredential, branch: 'cca/fix', parent, head, message, author, timeoutMs });
 */
export async function pushBranch(job: PushJob): Promise<string> {
  const { gitDir } = job;
  const identity = {
    GIT_AUTHOR_NAME: job.author.name,
    GIT_AUTHOR_EMAIL: job.author.email,
    GIT_COMMITTER_NAME: job.author.name,
    GIT_COMMITTER_EMAIL: job.author.email,
  };
  const commit = (
    await runGit(['commit-tree', `${job.head}^{tree}`, '-p', job.parent, '-F', '-'], {
      gitDir,
      path: job.path,
      env: identity,
      input: job.message,
    })
  )
    .toString()
    .trim();
  try {
    await runGit(['push', '--no-verify', '--', job.access.target, `${commit}:refs/heads/${job.branch}`], {
      gitDir,
      config: job.access.config,
      protocols: job.access.protocols,
      timeoutMs: job.timeoutMs,
      signal: job.signal,
      path: job.path,
    });
  } catch (err) {
    if (err instanceof GitCommandError && /\[rejected\]|non-fast-forward|fetch first|stale info/.test(err.stderr)) {
      throw new PushRejectedError(
        `The remote's branch ${job.branch} has commits this session did not start from, so the push was refused (the service never forces); push to a new branch name.`,
      );
    }
    throw remoteError(err, job.shown, job.branch, job.hasCredential);
  }
  await runGit(['update-ref', pushedRef(job.branch), commit], { gitDir, path: job.path });
  return commit;
}

/** The last commit this session pushed to `branch`, kept in its private git dir. */
export function pushedRef(branch: string): string {
  return `refs/cca/pushed/${branch}`;
}

/**
 * The commit a push to `branch` goes on: the last one pushed there from this session, else `base`.
 * @example const parent = await pushParent(gitDir, 'cca/fix', baseCommit);
 */
export async function pushParent(gitDir: string, branch: string, base: string, hostPath?: string): Promise<string> {
  try {
    return (await runGit(['rev-parse', '--verify', '--quiet', `${pushedRef(branch)}^{commit}`], { gitDir, path: hostPath }))
      .toString()
      .trim();
  } catch {
    return base;
  }
}
