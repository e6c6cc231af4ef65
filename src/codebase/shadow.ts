/**
 * The session's private git dir: the service's record of its workspace, which no run can touch
 * (it lives beside the workspace, never bound into the sandbox). Each invocation starts from a
 * recorded commit and ends by recording another; what changed between the two is `git diff-tree`
 * of two trees, and git's index (stat data, `.gitignore`) keeps both steps proportional to what
 * changed, not to the size of the workspace. Works the same for a cloned repository and for a
 * plain workspace (which starts from an empty commit).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { bytesOfName, fsPath, nameFromBytes } from '../workspace/index.js';
import { runGit } from './git.js';

/** The ref of the last recorded state of the workspace. */
export const SHADOW_HEAD = 'refs/cca/head';
/** git's id of the empty tree: what an empty workspace is, in every repository. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
/** The record the last one is compared with. */
const PREVIOUS = 'refs/cca/previous';
/** Present while the workspace is exactly as last recorded: the next invocation starts from it without a look. */
const CLEAN_MARK = 'cca-clean';

const IDENTITY = {
  GIT_AUTHOR_NAME: 'claude-code-agent',
  GIT_AUTHOR_EMAIL: 'cca@localhost',
  GIT_COMMITTER_NAME: 'claude-code-agent',
  GIT_COMMITTER_EMAIL: 'cca@localhost',
};

/** Settings of the private git dir: stat data stays valid through a chown to the run user (uid, ctime). */
const SHADOW_CONFIG: Record<string, string> = { 'core.checkStat': 'minimal', 'core.trustctime': 'false', 'core.bare': 'false' };

/** Why an entry changed in the workspace is left out of the record (and so of `changes` and the patch). */
export interface LeftOut {
  path: string;
  reason: 'hard_link' | 'file_too_large' | 'special_file' | 'nested_repository';
  size: number;
}

/**
 * Creates the private git dir (0700) if it does not exist yet.
 * @example await initGitDir(dirs.git);
 */
export async function initGitDir(gitDir: string, hostPath?: string): Promise<void> {
  if (await exists(path.join(gitDir, 'HEAD'))) return;
  await fs.mkdir(gitDir, { recursive: true, mode: 0o700 });
  await runGit(['init', '--quiet', '--bare', gitDir], { path: hostPath });
  await writeShadowConfig(gitDir);
  await fs.writeFile(path.join(gitDir, 'HEAD'), `ref: ${SHADOW_HEAD}\n`);
}

/**
 * Writes the private git dir's config whole: what `git init --bare` writes, then the record's
 * settings. A restored record gets it afresh (its config is never taken from the session store).
 * Written, not set key by key: each git command is a process, and this runs for every new session.
 * @example await writeShadowConfig(dirs.git);
 */
export async function writeShadowConfig(gitDir: string): Promise<void> {
  const lines = Object.entries(SHADOW_CONFIG).map(([key, value]) => {
    const [section, name] = key.split('.') as [string, string];
    return `[${section}]\n\t${name} = ${value}\n`;
  });
  const base = '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n';
  await fs.writeFile(path.join(gitDir, 'config'), base + lines.join(''), { mode: 0o600 });
}

/** HEAD follows the last record, so `git status` compares the workspace with it and lists only what changed since. */
export async function pointHeadAtRecord(gitDir: string, hostPath?: string): Promise<void> {
  await runGit(['symbolic-ref', 'HEAD', SHADOW_HEAD], { gitDir, path: hostPath });
}

/** The recorded commit, or undefined before the first record. */
export async function headOf(gitDir: string, hostPath?: string): Promise<string | undefined> {
  try {
    return (await runGit(['rev-parse', '--verify', '--quiet', `${SHADOW_HEAD}^{commit}`], { gitDir, path: hostPath })).toString().trim();
  } catch {
    return undefined;
  }
}

/**
 * The workspace changed outside a run (an upload): the next invocation records it before it starts.
 * @example await markWorkspaceChanged(dirs.git);
 */
export async function markWorkspaceChanged(gitDir: string): Promise<void> {
  await fs.rm(path.join(gitDir, CLEAN_MARK), { force: true });
}

/** Marks the workspace as exactly as recorded (after a clone or an invocation's record). */
export async function markRecorded(gitDir: string): Promise<void> {
  await fs.writeFile(path.join(gitDir, CLEAN_MARK), '', { mode: 0o600 });
}

/** What one record needs. */
export interface RecordJob {
  gitDir: string;
  workspace: string;
  /** Files over this size are left out (they would be copied into the private git dir). */
  maxFileBytes: number;
  message: string;
  signal?: AbortSignal | undefined;
  /** Per git command; default 10 minutes. */
  timeoutMs?: number | undefined;
  /** A record to keep from pruning (the one this record is compared with). */
  keep?: string | undefined;
  /** More of the run's folders to clear of FIFOs and sockets (its home and tmp: a nested repository may point there). */
  alsoClean?: string[] | undefined;
  path?: string | undefined;
  /** Told the recorded tree as soon as it is written (the commit and ref follow): diffs may start from it. */
  onTree?: ((tree: string) => void) | undefined;
  /** The git dir was made for this session and nothing was recorded in it yet (a warm agent's): no HEAD to look up. */
  fresh?: boolean | undefined;
}

// A command on a workspace of millions of files takes seconds; one that takes minutes is stuck.
const RECORD_TIMEOUT_MS = 2 * 60_000;
/** Address space of a git command that reads a tree a run wrote (its .gitignore files are held in memory). */
const RECORD_MEMORY_BYTES = 3 * 1024 * 1024 * 1024;
/** Most bytes of a list of changed paths (a run that made millions of files fails the record, and is stored by a walk). */
const MAX_LIST_BYTES = 256 * 1024 * 1024;

/**
 * The commit an invocation starts from: the last record if the workspace is untouched since, else
 * a new record of the workspace as it is (files uploaded since are not the run's changes).
 * @example const base = await startingPoint({ gitDir, workspace, maxFileBytes, message: 'before' });
 */
export async function startingPoint(job: RecordJob): Promise<string> {
  await initGitDir(job.gitDir, job.path);
  const empty = async () => (await fs.readdir(job.workspace).catch(() => ['?'])).length === 0;
  if (job.fresh === true && (await empty())) return EMPTY_TREE;
  const head = await headOf(job.gitDir, job.path);
  const clean = await exists(path.join(job.gitDir, CLEAN_MARK));
  // A new session's empty workspace starts from the empty tree: nothing to record.
  if (head === undefined && (await fs.readdir(job.workspace).catch(() => ['?'])).length === 0) return EMPTY_TREE;
  const base = head !== undefined && clean ? head : (await recordWorkspace(job)).commit;
  // From here the run may change anything: a crash before the end must not leave "clean" behind.
  await markWorkspaceChanged(job.gitDir);
  return base;
}

/**
 * Records the workspace as a commit; returns it and what was left out. Only the paths git sees as
 * changed (untracked, or tracked with new stat data) are looked at, so the cost follows what
 * changed, not the size of the tree. The index is updated with plumbing (`update-index`), path by
 * path: a repository nested in the workspace is never entered (its own config could run commands
 * here), and a path under a symlinked folder is recorded as gone, not followed.
 * @example const { commit } = await recordWorkspace({ gitDir, workspace, maxFileBytes, message: 'after' });
 */
export async function recordWorkspace(job: RecordJob): Promise<{ commit: string; leftOut: LeftOut[] }> {
  const { gitDir, workspace } = job;
  const opts = {
    gitDir,
    workTree: workspace,
    path: job.path,
    signal: job.signal,
    timeoutMs: job.timeoutMs ?? RECORD_TIMEOUT_MS,
    maxMemoryBytes: RECORD_MEMORY_BYTES,
  };
  await initGitDir(gitDir, job.path);
  const trapped = await removeTraps([workspace, ...(job.alsoClean ?? [])], gitDir);
  // One pass, as `git status` makes it: tracked files whose stat data changed (hashed only then)
  // and untracked ones; nested repositories are not looked into (--ignore-submodules=all).
  const status = await runGit(['status', '--porcelain=v2', '-z', '--untracked-files=all', '--ignore-submodules=all', '--no-renames'], {
    ...opts,
    maxOutputBytes: MAX_LIST_BYTES,
  });
  // The workspace's FIFOs and sockets are reported as left out, as a walk would have.
  const prefix = `${workspace.replace(/\/+$/, '')}/`;
  const leftOut: LeftOut[] = trapped
    .filter((p) => p.startsWith(prefix))
    .map((p) => ({ path: p.slice(prefix.length), reason: 'special_file', size: 0 }));
  const add: string[] = [];
  const remove: string[] = [];
  const linkedDirs = new Map<string, boolean>();
  for (const rel of changedInStatus(status)) {
    if (rel.endsWith('/')) {
      // git lists a repository nested in the workspace as its folder: it is not recorded.
      leftOut.push({ path: rel.slice(0, -1), reason: 'nested_repository', size: 0 });
      continue;
    }
    const verdict = await verdictOf(workspace, rel, job.maxFileBytes, linkedDirs);
    if (verdict === 'add') add.push(rel);
    else if (verdict === 'remove') remove.push(rel);
    else leftOut.push(verdict);
  }
  const nul = (paths: string[]) => Buffer.concat(paths.map((p) => Buffer.concat([bytesOfName(p), Buffer.from([0])])));
  if (remove.length > 0) await runGit(['update-index', '-z', '--force-remove', '--stdin'], { ...opts, input: nul(remove) });
  if (add.length > 0) await runGit(['update-index', '-z', '--add', '--replace', '--stdin'], { ...opts, input: nul(add) });
  const tree = (await runGit(['write-tree'], { gitDir, path: job.path })).toString().trim();
  job.onTree?.(tree);
  // Not chained: an old record nothing points at any more is pruned, so the dir stays about the workspace's size.
  const commit = (
    await runGit(['commit-tree', tree, '-m', job.message], {
      gitDir,
      path: job.path,
      env: { ...IDENTITY, GIT_AUTHOR_DATE: '@0 +0000', GIT_COMMITTER_DATE: '@0 +0000' },
    })
  )
    .toString()
    .trim();
  // The record this one will be compared with stays referenced, or the prune below could take it.
  const refs = `update ${SHADOW_HEAD} ${commit}\n${job.keep !== undefined ? `update ${PREVIOUS} ${job.keep}\n` : ''}`;
  await runGit(['update-ref', '--stdin'], { gitDir, path: job.path, input: refs });
  // Packs loose objects and drops unreachable ones once there are enough of them (git's own
  // threshold); looked at after a big record, and now and then, not after every one (a process each).
  if (add.length + remove.length >= 1000 || Math.random() < 0.1)
    await runGit(['-c', 'gc.auto=6700', '-c', 'gc.pruneExpire=now', '-c', 'gc.reflogExpireUnreachable=now', 'gc', '--auto', '--quiet'], {
      gitDir,
      path: job.path,
      timeoutMs: opts.timeoutMs,
    }).catch(() => undefined);
  return { commit, leftOut };
}

/**
 * Before git reads a tree a run left: FIFOs and sockets go (git would block opening a FIFO named
 * .gitignore, or the HEAD of a nested repository; they are never stored anyway), and a lock a
 * stopped command left in the private git dir is removed (the session runs one thing at a time).
 */
async function removeTraps(dirs: string[], gitDir: string): Promise<string[]> {
  const present = (
    await Promise.all(dirs.map(async (d) => ((await fs.lstat(d).catch(() => undefined))?.isDirectory() ? d : undefined)))
  ).filter((d): d is string => d !== undefined);
  const removed: Buffer[] = [];
  if (present.length > 0) {
    await new Promise<void>((resolve) => {
      const find = spawn('find', ['-P', ...present, '-xdev', '(', '-type', 'p', '-o', '-type', 's', ')', '-print0', '-delete'], {
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' },
      });
      find.stdout.on('data', (chunk: Buffer) => removed.push(chunk));
      find.on('error', () => resolve());
      find.on('close', () => resolve());
    });
  }
  await Promise.all(['index.lock', 'HEAD.lock', `${SHADOW_HEAD}.lock`].map((f) => fs.rm(path.join(gitDir, f), { force: true })));
  return splitZ(Buffer.concat(removed));
}

/** What to do with a changed path: add it (a file within limits, a link), remove it (gone, or behind a link), or leave it out. */
async function verdictOf(
  workspace: string,
  rel: string,
  maxFileBytes: number,
  linkedDirs: Map<string, boolean>,
): Promise<'add' | 'remove' | LeftOut> {
  if (await underLink(workspace, rel, linkedDirs)) return 'remove';
  const s = await fs.lstat(fsPath(workspace, rel)).catch(() => undefined);
  if (s === undefined || s.isDirectory()) return 'remove';
  if (s.isSymbolicLink()) return 'add';
  if (!s.isFile()) return { path: rel, reason: 'special_file', size: 0 };
  // A hard link made in the workspace may name a file outside it: its content is not read.
  if (s.nlink > 1) return { path: rel, reason: 'hard_link', size: s.size };
  if (s.size > maxFileBytes) return { path: rel, reason: 'file_too_large', size: s.size };
  return 'add';
}

/** Whether a folder on the way to `rel` is a symbolic link (or not a folder): what lies "under" it is not in the workspace. */
async function underLink(workspace: string, rel: string, cache: Map<string, boolean>): Promise<boolean> {
  const parts = rel.split('/').slice(0, -1);
  let dir = '';
  for (const part of parts) {
    dir = dir === '' ? part : `${dir}/${part}`;
    let linked = cache.get(dir);
    if (linked === undefined) {
      const s = await fs.lstat(fsPath(workspace, dir)).catch(() => undefined);
      linked = s === undefined || !s.isDirectory();
      cache.set(dir, linked);
    }
    if (linked) return true;
  }
  return false;
}

/**
 * The paths `git status --porcelain=v2 -z` reports as changed in the work tree or untracked
 * (`1 XY sub mH mI mW hH hI path`, `? path`); a path changed only in the index is recorded again too.
 */
function changedInStatus(out: Buffer): string[] {
  const paths: string[] = [];
  for (const record of splitZ(out)) {
    if (record.startsWith('? ')) paths.push(record.slice(2));
    else if (record.startsWith('1 ')) paths.push(record.split(' ').slice(8).join(' '));
  }
  return paths;
}

/** NUL-separated names from git, as the project's reversible strings (names need not be UTF-8). */
export function splitZ(out: Buffer): string[] {
  const names: string[] = [];
  let start = 0;
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== 0) continue;
    if (i > start) names.push(nameFromBytes(out.subarray(start, i)));
    start = i + 1;
  }
  return names;
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}
