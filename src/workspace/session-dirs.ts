/**
 * The one place that knows how a session's folder is laid out under the data dir:
 * `<dataDir>/sessions/<id>/{workspace,home,tmp,git,snapshots/<invocation>.json}`. Runs, recovery and
 * the sandbox plan all find the same paths through it.
 */
import { rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ensureWorkspace, InvalidSessionIdError, isValidSessionId } from './ensure-workspace.js';

/** The folders of one session. */
export interface SessionDirs {
  /** `<dataDir>/sessions/<id>`. */
  root: string;
  /** Where Claude Code runs; its changes are what an invocation stores. */
  workspace: string;
  /** The run's HOME (Claude Code's own state, the transcript it resumes from). */
  home: string;
  /** The run's TMPDIR. */
  tmp: string;
  /** The "before" snapshots of the session's invocations while they run. */
  snapshots: string;
  /** The service's private git dir: the record of the workspace, and the clone of a repository; never bound into a run. */
  git: string;
}

/**
 * `<dataDir>/sessions`: every session's folder is in here.
 * @example sessionsRoot('/var/lib/cca') // '/var/lib/cca/sessions'
 */
export function sessionsRoot(dataDir: string): string {
  return path.join(dataDir, 'sessions');
}

/**
 * The paths of a session's folders (nothing is created); throws InvalidSessionIdError for an id
 * that is not one safe directory name, so no caller can be led out of the sessions root.
 * @example sessionDirs('/data', 's1').workspace // '/data/sessions/s1/workspace'
 */
export function sessionDirs(dataDir: string, sessionId: string): SessionDirs {
  if (!isValidSessionId(sessionId)) throw new InvalidSessionIdError(sessionId);
  const root = path.join(sessionsRoot(dataDir), sessionId);
  return {
    root,
    workspace: path.join(root, 'workspace'),
    home: path.join(root, 'home'),
    tmp: path.join(root, 'tmp'),
    snapshots: path.join(root, 'snapshots'),
    git: path.join(root, 'git'),
  };
}

/**
 * Where an invocation's "before" snapshot is kept while it runs: `<session>/snapshots/<invocation>.json`.
 * @example runSnapshotFile('/data', 's1', invocationId) // '/data/sessions/s1/snapshots/<invocationId>.json'
 */
export function runSnapshotFile(dataDir: string, sessionId: string, invocationId: string): string {
  return path.join(sessionDirs(dataDir, sessionId).snapshots, `${invocationId}.json`);
}

/**
 * Where a repository invocation keeps the commit it started from while it runs (its "before", which
 * git's record stands in for a snapshot): `<session>/snapshots/<invocation>.base`.
 * @example runBaseFile('/data', 's1', invocationId) // '/data/sessions/s1/snapshots/<invocationId>.base'
 */
export function runBaseFile(dataDir: string, sessionId: string, invocationId: string): string {
  return path.join(sessionDirs(dataDir, sessionId).snapshots, `${invocationId}.base`);
}

/**
 * Creates a run's folders (mode 0o700) and returns their paths. The workspace goes through
 * `ensureWorkspace`, which never follows a link a previous run may have left in its place.
 * @example const dirs = await makeSessionDirs(config.dataDir, sessionId);
 */
export async function makeSessionDirs(dataDir: string, sessionId: string): Promise<SessionDirs> {
  const dirs = sessionDirs(dataDir, sessionId);
  await ensureWorkspace(sessionsRoot(dataDir), sessionId);
  await Promise.all([mkdir(dirs.home, { recursive: true, mode: 0o700 }), mkdir(dirs.tmp, { recursive: true, mode: 0o700 })]);
  return dirs;
}

/**
 * Deletes an ended invocation's snapshot. Synchronous on purpose: it runs right after the end is
 * recorded and before shutdown can close, so a clean stop never leaves one behind.
 * @example forgetRunSnapshot(config.dataDir, sessionId, invocationId);
 */
export function forgetRunSnapshot(dataDir: string, sessionId: string, invocationId: string): void {
  try {
    rmSync(runSnapshotFile(dataDir, sessionId, invocationId), { force: true });
    rmSync(runBaseFile(dataDir, sessionId, invocationId), { force: true });
  } catch {
    // Never in the way of recording an end: a snapshot left behind is removed at the next start.
  }
}
