/**
 * Before the run: a new session named with a repository gets it cloned into its workspace,
 * outside the sandbox, with `workspace.preparing` events as git reports progress. The clone's time
 * is taken from the run's timeout, and a cancel stops it. A clone that fails ends the invocation
 * (`workspace_error`) with git's reason, without running anything.
 */
import { cloneRepository, markRecorded, readOrigin, writeOrigin, type CloneProgress } from '../codebase/index.js';
import type { Config } from '../config/index.js';
import type { SessionEvents } from '../events/index.js';
import type { Logger } from '../logging/index.js';
import type { RepositoryInfo } from '../schemas/changes.js';
import type { SessionDirs } from '../workspace/index.js';
import type { ActiveRun } from './active-run.js';

/** Progress events at most this often (git reports every percent). */
const PROGRESS_EVERY_MS = 500;

/**
 * Clones the run's repository if it has one to clone; resolves with the session's repository, or
 * rejects with the error that says why it could not be cloned.
 * @example const origin = await prepareWorkspace({ config, events }, run, dirs, timeoutMs, log);
 */
export async function prepareWorkspace(
  deps: { config: Config; events: SessionEvents },
  run: ActiveRun,
  dirs: SessionDirs,
  timeoutMs: number,
  log: Logger,
): Promise<RepositoryInfo | undefined> {
  const clone = run.git?.clone;
  // A continued session keeps the repository it was cloned from.
  if (clone === undefined) return run.git?.origin ?? (await readOrigin(dirs.git));
  const { sessionId, invocationId } = run;
  const emit = (p: CloneProgress | { phase: 'ready'; percent?: undefined }) =>
    deps.events.emit(sessionId, invocationId, {
      type: 'workspace.preparing',
      data: { phase: p.phase, ...(p.percent !== undefined ? { percent: p.percent } : {}), repository: clone.shown },
    });
  let last = 0;
  let lastPhase = '';
  const started = Date.now();
  const cloned = await cloneRepository({
    access: clone.access,
    shown: clone.shown,
    head: clone.head,
    depth: clone.depth,
    hasCredential: run.git?.credential !== undefined,
    gitDir: dirs.git,
    workspace: dirs.workspace,
    maxBytes: deps.config.git.maxRepoBytes,
    maxCheckoutBytes: run.resources.diskMb * 1024 * 1024,
    maxCheckoutEntries: deps.config.limits.maxRunEntries,
    timeoutMs,
    signal: run.controller.signal,
    onProgress: (p) => {
      const now = Date.now();
      if (p.phase === lastPhase && now - last < PROGRESS_EVERY_MS && p.percent !== 100) return;
      last = now;
      lastPhase = p.phase;
      emit(p);
    },
  });
  const origin: RepositoryInfo = { url: clone.shown, ref: clone.ref ?? null, branch: cloned.branch ?? null, commit: cloned.commit };
  await writeOrigin(dirs.git, origin);
  await markRecorded(dirs.git);
  emit({ phase: 'ready' });
  log.info({ repository: clone.shown, commit: cloned.commit, ms: Date.now() - started }, 'repository cloned');
  return origin;
}
