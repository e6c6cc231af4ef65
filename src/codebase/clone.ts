/**
 * Cloning a remote into a session, outside the sandbox. The objects go to the session's private
 * git dir (never bound into a run), which checks the files out into the workspace: the service's
 * view of the repository is one no run can rewrite. The run gets a `.git` of its own, a copy, so
 * `git status`, `git log` and `git diff` work for the agent as in any checkout; its remote is the
 * URL without any credential.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { dirSize, watchSize } from './dir-size.js';
import { RepositoryTooLargeError } from './errors.js';
import { GitCommandError, runGit } from './git.js';
import type { RemoteHead } from './inspect.js';
import { remoteError, type RemoteAccess } from './remote.js';
import { initGitDir, pointHeadAtRecord, SHADOW_HEAD } from './shadow.js';

/** Progress of a clone, as git reports it. */
export interface CloneProgress {
  phase: 'fetching' | 'receiving' | 'resolving' | 'checking_out';
  percent?: number | undefined;
}

/** What one clone needs. */
export interface CloneJob {
  access: RemoteAccess;
  /** The URL as shown in messages (never with a credential). */
  shown: string;
  head: RemoteHead;
  /** Commits of history to fetch; 0: all of it. */
  depth: number;
  hasCredential: boolean;
  /** The session's private git dir. */
  gitDir: string;
  workspace: string;
  /** Most bytes the fetched objects may take. */
  maxBytes: number;
  /** Most bytes the checked-out files may take (the run's disk limit): a small pack can expand to far more. */
  maxCheckoutBytes: number;
  /** Most files the checkout may write (CCA_RUN_MAX_ENTRIES): empty files cost no bytes, but an inode each. */
  maxCheckoutEntries?: number | undefined;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  onProgress?: ((p: CloneProgress) => void) | undefined;
  path?: string | undefined;
}

/** What was checked out. */
export interface Cloned {
  commit: string;
  branch: string | undefined;
}

const REMOTE_REF = 'refs/cca/remote';

/**
 * Fetches `head` into the private git dir and checks it out into the (empty) workspace.
 * @example const { commit } = await cloneRepository({ access, shown, head, depth: 1, gitDir, workspace, maxBytes, timeoutMs });
 */
export async function cloneRepository(job: CloneJob): Promise<Cloned> {
  const { gitDir, workspace } = job;
  await initGitDir(gitDir, job.path);
  const started = Date.now();
  const left = () => Math.max(1, job.timeoutMs - (Date.now() - started));
  const sizeStop = new AbortController();
  let tooLarge: number | undefined;
  const stopWatch = watchSize(gitDir, job.maxBytes, 250, (bytes) => {
    tooLarge = bytes;
    sizeStop.abort();
  });
  const signal = job.signal ? AbortSignal.any([job.signal, sizeStop.signal]) : sizeStop.signal;
  job.onProgress?.({ phase: 'fetching' });
  try {
    await runGit(
      [
        'fetch',
        '--no-tags',
        '--no-write-fetch-head',
        '--progress',
        ...(job.depth > 0 ? [`--depth=${job.depth}`] : []),
        '--',
        job.access.target,
        `+${job.head.fetch}:${REMOTE_REF}`,
      ],
      {
        gitDir,
        config: job.access.config,
        protocols: job.access.protocols,
        timeoutMs: left(),
        signal,
        path: job.path,
        onStderr: (line) => {
          const progress = progressOf(line);
          if (progress) job.onProgress?.(progress);
        },
      },
    );
  } catch (err) {
    if (tooLarge !== undefined) throw tooLargeError(job);
    if (err instanceof GitCommandError && err.stopped === 'aborted') throw err;
    throw remoteError(err, job.shown, job.head.fetch.replace(/^refs\/(heads|tags)\//, ''), job.hasCredential);
  } finally {
    stopWatch();
  }
  // A fetch quicker than the watch's first look is measured once it is done.
  if ((await dirSize(gitDir)) > job.maxBytes) throw tooLargeError(job);

  const commit = (await runGit(['rev-parse', '--verify', `${REMOTE_REF}^{commit}`], { gitDir, path: job.path })).toString().trim();
  await assertCheckoutFits(job, commit);
  job.onProgress?.({ phase: 'checking_out' });
  await runGit(['checkout', '--detach', '--force', commit], {
    gitDir,
    workTree: workspace,
    timeoutMs: left(),
    signal: job.signal,
    path: job.path,
  });
  await runGit(['update-ref', SHADOW_HEAD, commit], { gitDir, path: job.path });
  // The checkout left HEAD on the commit itself: it follows the record from now on.
  await pointHeadAtRecord(gitDir, job.path);
  await giveRunItsGit(job, commit);
  return { commit, branch: job.head.branch };
}

/** Sums the sizes of the commit's files before any is written: one blob named a thousand times is a thousand files. */
async function assertCheckoutFits(job: CloneJob, commit: string): Promise<void> {
  let out: Buffer;
  try {
    out = await runGit(['ls-tree', '-r', '-l', '-z', commit], {
      gitDir: job.gitDir,
      bare: true,
      path: job.path,
      maxOutputBytes: 256 * 1024 * 1024,
    });
  } catch (err) {
    // 256 MB of listing is millions of files: more than any run may hold.
    if (err instanceof GitCommandError && err.stopped === 'output_limit') throw checkoutTooLarge(job, 'files');
    throw err;
  }
  const maxEntries = job.maxCheckoutEntries ?? Number.POSITIVE_INFINITY;
  let total = 0;
  let entries = 0;
  let start = 0;
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== 0) continue;
    // "<mode> <type> <object> <size>\t<path>"; a submodule's size is "-".
    const line = out.subarray(start, i).toString('latin1');
    start = i + 1;
    // Every file takes at least a block on disk, whatever its size.
    total += Math.max(BLOCK, Number(/^\S+ \S+ \S+ +(\d+)\t/.exec(line)?.[1] ?? 0));
    if (total > job.maxCheckoutBytes) throw checkoutTooLarge(job, 'bytes');
    if (++entries > maxEntries) throw checkoutTooLarge(job, 'files');
  }
}

const BLOCK = 4096;

function checkoutTooLarge(job: CloneJob, what: 'bytes' | 'files'): RepositoryTooLargeError {
  const holds =
    what === 'bytes'
      ? `more than ${Math.round(job.maxCheckoutBytes / 1048576)} MB of files at that commit, over what a run's workspace may hold (CCA_RUN_DISK_MB, or your key's --max-disk)`
      : `more files at that commit than a run may have (CCA_RUN_MAX_ENTRIES)`;
  return new RepositoryTooLargeError(`${job.shown} holds ${holds}.`, { field: 'repository.url', limit_bytes: job.maxCheckoutBytes });
}

function tooLargeError(job: CloneJob): RepositoryTooLargeError {
  return new RepositoryTooLargeError(
    `${job.shown} is larger than the ${Math.round(job.maxBytes / 1048576)} MB the service fetches (CCA_REPO_MAX_MB); fetch less history with repository.depth, or ask the operator for more.`,
    { field: 'repository.url', limit_bytes: job.maxBytes },
  );
}

/** The run's own `.git`: a copy of the objects, on the branch that was cloned, with the same index. */
async function giveRunItsGit(job: CloneJob, commit: string): Promise<void> {
  const runGitDir = path.join(job.workspace, '.git');
  const branch = job.head.branch ?? 'main';
  const opts = { gitDir: runGitDir, path: job.path };
  await runGit(['init', '--quiet', `--initial-branch=${branch}`, job.workspace], { path: job.path });
  await fs.cp(path.join(job.gitDir, 'objects'), path.join(runGitDir, 'objects'), { recursive: true, force: true });
  await fs.copyFile(path.join(job.gitDir, 'shallow'), path.join(runGitDir, 'shallow')).catch(() => undefined);
  await runGit(['remote', 'add', 'origin', job.access.target], opts);
  if (job.head.branch !== undefined) {
    await runGit(['update-ref', `refs/heads/${branch}`, commit], opts);
    await runGit(['update-ref', `refs/remotes/origin/${branch}`, commit], opts);
  } else {
    await runGit(['update-ref', '--no-deref', 'HEAD', commit], opts);
  }
  // Handing the files to the run's user changes their owner and ctime: with git's default stat
  // check the run's first `git status` (Claude Code runs one) would read every file again.
  await runGit(['config', 'core.checkStat', 'minimal'], opts);
  await runGit(['config', 'core.trustctime', 'false'], opts);
  // The checkout's index, stat data included: `git status` in the run starts clean and fast.
  await fs.copyFile(path.join(job.gitDir, 'index'), path.join(runGitDir, 'index'));
}

/** A progress line of `git fetch --progress`, e.g. "Receiving objects:  45% (450/1000), 1.2 MiB". */
export function progressOf(line: string): CloneProgress | undefined {
  const m = /^(?:remote: )?(Receiving objects|Resolving deltas|Counting objects|Compressing objects):\s+(\d+)%/.exec(line);
  if (!m) return undefined;
  const phase = m[1] === 'Resolving deltas' ? 'resolving' : m[1] === 'Receiving objects' ? 'receiving' : 'fetching';
  return { phase, percent: Number(m[2]) };
}
