/**
 * Durable session state in the life of an invocation: the session is claimed at admission (its
 * lease, and its saved record taken in when this worker's copy is not the saved one), restored
 * before the run, saved at checkpoints while it runs and at its end, and let go.
 */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError, NotFoundError, PayloadTooLargeError } from '../errors/index.js';
import { ownForRun, type RunUser } from '../limits/index.js';
import { writeShadowConfig } from '../codebase/index.js';
import {
  SaveTooLargeError,
  SessionStoreUnavailableError,
  walkTree,
  type DurableSessions,
  type Claim,
  type SessionTrees,
} from '../durable/index.js';
import type { SessionEvents } from '../events/index.js';
import type { Logger } from '../logging/index.js';
import { outcomeWithoutRun, type RunOutcome } from '../runner/index.js';
import type { RepositoryInfo } from '../schemas/changes.js';
import type { SessionStateReport } from '../schemas/responses.js';
import type { SessionRepo } from '../sessions/index.js';
import { makeSessionDirs, sessionDirs, type SessionDirs } from '../workspace/index.js';

/** Events a checkpoint reserves for the invocation it interrupts: a worker continuing after a crash numbers past them. */
const CHECKPOINT_EVENT_RESERVE = 10_000;

export interface StateDeps {
  durable?: DurableSessions | undefined;
  /** Per-run limits, for the run user restored files are given to before an upload (sandboxed runs). */
  limits?: { user?: RunUser | undefined } | undefined;
  sessions: SessionRepo;
  events: Pick<SessionEvents, 'emit' | 'lastId'>;
}

export function treesOf(dirs: Pick<SessionDirs, 'root' | 'workspace' | 'home' | 'git'>): SessionTrees {
  return { root: dirs.root, workspace: dirs.workspace, home: dirs.home, git: dirs.git };
}

/** What admission got of the session store: the claim, or why the invocation runs without one. */
export interface ClaimResult {
  claim?: Claim | undefined;
  /** The store could not be reached, and this worker ran the session on its own copy, unsaved. */
  unsaved?: string | undefined;
}

/**
 * Takes the session for this invocation (409 while another worker or request has it; 404 when its
 * saved owner is another key), and takes in its saved record when this worker's copy is not the
 * saved generation (or this worker's database has no record of it), so the run resumes the saved
 * conversation and event ids continue. Who owns the session is checked before its lease is taken:
 * a stranger's probe must neither hold nor reveal another key's session.
 *
 * When the store cannot be reached, only a session that cannot exist anywhere yet (an id this
 * service just made) runs, unsaved and said so in the output: any other may have a newer save
 * elsewhere, and running this worker's copy would fork it. Those get 502 until the store answers.
 * @example const { claim } = await claimSession(deps, config.sessionsBase, { sessionId, invocationId, ownerKeyId, isNew }, log);
 */
export async function claimSession(
  deps: StateDeps,
  sessionsBase: string,
  ids: { sessionId: string; invocationId: string; ownerKeyId: string | undefined; isNew: boolean },
  log: Logger,
): Promise<ClaimResult> {
  const { durable, sessions } = deps;
  const { sessionId, invocationId, ownerKeyId } = ids;
  if (durable === undefined) return {};
  let claim: Claim;
  try {
    const saved = await durable.peekHead(sessionId);
    if (saved !== undefined) assertSameOwner(sessionId, ownerKeyId, saved.owner, sessions.getSession(sessionId));
    claim = await durable.claim(sessionId, invocationId);
  } catch (err) {
    if (!(err instanceof SessionStoreUnavailableError) || !ids.isNew) throw err;
    log.warn({ session_id: sessionId }, "the session store cannot be reached: running a new session on this worker's copy, unsaved");
    return {
      unsaved:
        'The session store could not be reached, so this new session was not saved; its next invocation here saves it, if the store answers by then.',
    };
  }
  try {
    const head = claim.head;
    if (head !== undefined) {
      const local = sessions.getSession(sessionId);
      // Checked again on the head the lease now guards (it may have moved since the peek).
      assertSameOwner(sessionId, ownerKeyId, head.owner, local);
      // A copy to restore, or one this worker's database has no record of (a new microVM on the
      // session's persistent mount): the saved record is taken in.
      if (local === undefined || (await durable.needsRestore(claim, treesOf(sessionDirs(sessionsBase, sessionId))))) {
        sessions.importSession({
          id: sessionId,
          createdAt: head.created_at,
          ownerKeyId,
          claudeSessionId: head.claude_session_id,
          eventSeqBase: head.last_event_seq,
        });
      }
    }
    return { claim };
  } catch (err) {
    await claim.lease.release();
    throw err;
  }
}

/**
 * A saved session belongs to the key recorded in its head: another key gets the 404 of a session
 * that does not exist, and so does a local record of it that names another owner than the save (a
 * key that sent files to an id another key's session has elsewhere).
 */
function assertSameOwner(
  sessionId: string,
  ownerKeyId: string | undefined,
  savedOwner: string | null,
  local: { owner_key_id: string | null } | undefined,
): void {
  const foreign = ownerKeyId !== undefined && savedOwner !== ownerKeyId;
  const split = local !== undefined && local.owner_key_id !== savedOwner;
  if (foreign || split) throw new NotFoundError(`Session ${sessionId} was not found; omit session_id to start a new session.`);
}

/**
 * Brings this worker's copy to the saved generation when it is not, with `workspace.preparing`
 * events; returns the report, or the outcome that ends the invocation when the saved state is
 * damaged or the store cannot be read.
 */
export async function restoreForRun(
  deps: StateDeps,
  claim: Claim,
  ids: { sessionId: string; invocationId: string },
  dirs: SessionDirs,
  log: Logger,
): Promise<{ restored: SessionStateReport['restored']; failed?: { outcome: RunOutcome; errorCode: string } }> {
  const durable = deps.durable as DurableSessions;
  const trees = treesOf(dirs);
  let restored: SessionStateReport['restored'] = null;
  if (claim.head !== undefined && (await durable.needsRestore(claim, trees))) {
    const started = Date.now();
    deps.events.emit(ids.sessionId, ids.invocationId, { type: 'workspace.preparing', data: { phase: 'restoring' } });
    try {
      const r = await restoreTrees(durable, claim, trees);
      restored = {
        generation: claim.head.generation,
        files: r.files,
        fetched_files: r.fetchedFiles,
        fetched_bytes: r.fetchedBytes,
        duration_ms: Date.now() - started,
      };
      deps.events.emit(ids.sessionId, ids.invocationId, {
        type: 'workspace.preparing',
        data: { phase: 'ready', files: r.fetchedFiles, bytes: r.fetchedBytes },
      });
      log.info({ generation: claim.head.generation, fetched: r.fetchedFiles, ms: restored.duration_ms }, 'session restored');
    } catch (err) {
      log.warn({ err }, 'the session could not be restored');
      const message = err instanceof Error ? err.message : String(err);
      const errorCode = err instanceof AppError ? err.code : 'session_restore_failed';
      return { restored, failed: { outcome: outcomeWithoutRun('workspace_error', message), errorCode } };
    }
  }
  return { restored };
}

/**
 * Saves the session every `everyMs` while the run goes on (a checkpoint a crash falls back to);
 * returns the function that stops it and waits for a checkpoint in flight.
 */
export function startCheckpoints(
  deps: StateDeps,
  claim: Claim,
  input: { sessionId: string; invocationId: string; ownerKeyId: string | undefined; createdAt: string; dirs: SessionDirs; everyMs: number },
  log: Logger,
): () => Promise<void> {
  const durable = deps.durable as DurableSessions;
  if (input.everyMs <= 0) return async () => undefined;
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running !== undefined || claim.lease.lost) return;
    running = (async () => {
      const claudeSessionId = (await latestTranscript(input.dirs)) ?? deps.sessions.getSession(input.sessionId)?.claude_session_id ?? null;
      const saved = await durable.save(claim, treesOf(input.dirs), {
        owner: input.ownerKeyId ?? null,
        created_at: input.createdAt,
        claude_session_id: claudeSessionId,
        last_event_seq: deps.events.lastId(input.sessionId) + CHECKPOINT_EVENT_RESERVE,
        invocation_id: input.invocationId,
        checkpoint: true,
        repository: null,
      });
      log.info({ generation: saved.head.generation, uploaded: saved.uploadedFiles }, 'session checkpoint saved');
    })()
      .catch((err: unknown) => log.warn({ err }, 'could not save a session checkpoint'))
      .finally(() => {
        running = undefined;
      });
  }, input.everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

/** Saves the session at the end of the invocation and lets it go; never throws (a failed save is reported). */
export async function saveAtEnd(
  deps: StateDeps,
  claim: Claim,
  input: {
    sessionId: string;
    invocationId: string;
    ownerKeyId: string | undefined;
    dirs: SessionDirs;
    claudeSessionId: string | null;
    repository: RepositoryInfo | undefined;
    restored: SessionStateReport['restored'];
  },
  log: Logger,
): Promise<SessionStateReport> {
  const durable = deps.durable as DurableSessions;
  const started = Date.now();
  try {
    if (claim.lease.lost) throw new Error('another worker took the session while this invocation ran');
    const createdAt = deps.sessions.getSession(input.sessionId)?.created_at ?? new Date().toISOString();
    const saved = await durable.save(claim, treesOf(input.dirs), {
      owner: input.ownerKeyId ?? null,
      created_at: createdAt,
      claude_session_id: input.claudeSessionId,
      // The completion event comes after the save.
      last_event_seq: deps.events.lastId(input.sessionId) + 1,
      invocation_id: input.invocationId,
      checkpoint: false,
      repository: input.repository ?? null,
    });
    const report: SessionStateReport = {
      generation: saved.head.generation,
      restored: input.restored,
      saved: {
        generation: saved.head.generation,
        files: saved.files,
        uploaded_files: saved.uploadedFiles,
        uploaded_bytes: saved.uploadedBytes,
        duration_ms: Date.now() - started,
      },
    };
    log.info({ generation: saved.head.generation, uploaded: saved.uploadedFiles, ms: report.saved?.duration_ms }, 'session saved');
    return report;
  } catch (err) {
    log.error({ err }, 'could not save the session');
    const why = err instanceof Error ? err.message : String(err);
    return {
      generation: null,
      restored: input.restored,
      saved: null,
      error: `The session could not be saved to the session store (${why}); its files are stored, but another worker would continue it from its previous save.`,
    };
  } finally {
    await claim.lease.release();
  }
}

/**
 * The newest conversation in the session's home (Claude Code names each `<uuid>.jsonl` in the folder of
 * its working directory): what a checkpoint of a first invocation resumes, before the run has said its id.
 */
async function latestTranscript(dirs: SessionDirs): Promise<string | undefined> {
  // The run is alive beside a checkpoint: read its home without following a link it placed.
  const found = await walkTree(dirs.home, 100_000, '.claude/projects').catch(() => undefined);
  let best: { id: string; at: bigint } | undefined;
  for (const e of found?.entries ?? []) {
    const m = /^\.claude\/projects\/[^/]+\/([0-9a-f-]{36})\.jsonl$/.exec(e.rel);
    if (e.kind !== 'f' || !m) continue;
    if (best === undefined || e.mtimeNs > best.at) best = { id: m[1] as string, at: e.mtimeNs };
  }
  return best?.id;
}

/**
 * Runs `work` (an upload into the workspace) with the session held, on a copy brought to the saved
 * generation first, and saves the session after it: files sent to one worker are there for the
 * worker that runs the next invocation. Without durable state, just runs `work`.
 * @example await withSessionHeld(deps, config.sessionsBase, { sessionId, ownerKeyId }, log, () => upload());
 */
export async function withSessionHeld<T>(
  deps: StateDeps,
  sessionsBase: string,
  ids: { sessionId: string; ownerKeyId: string | undefined },
  log: Logger,
  work: () => Promise<T>,
): Promise<T> {
  const operation = `upload-${randomUUID()}`;
  const { claim } = await claimSession(deps, sessionsBase, { ...ids, invocationId: operation, isNew: false }, log);
  if (claim === undefined) return work();
  const durable = deps.durable as DurableSessions;
  try {
    const dirs = await makeSessionDirs(sessionsBase, ids.sessionId);
    const trees = treesOf(dirs);
    if (await durable.needsRestore(claim, trees)) {
      await restoreTrees(durable, claim, trees);
      // What the restore made is the run's, as a run's own start would make it (the upload then
      // hands the workspace's top to the run user, after which that start would skip the tree).
      const user = deps.limits?.user;
      if (user !== undefined) await ownForRun([dirs.workspace, dirs.home, dirs.tmp], user);
    }
    const result = await work();
    const session = deps.sessions.getSession(ids.sessionId);
    try {
      await durable.save(claim, trees, {
        owner: ids.ownerKeyId ?? null,
        created_at: session?.created_at ?? new Date().toISOString(),
        claude_session_id: session?.claude_session_id ?? null,
        last_event_seq: deps.events.lastId(ids.sessionId),
        invocation_id: operation,
        checkpoint: false,
        repository: claim.head?.repository ?? null,
      });
    } catch (err) {
      // The files are on this worker only: another would continue without them. Say so, not 201.
      log.warn({ err, session_id: ids.sessionId }, 'could not save the session after an upload');
      const why = err instanceof SaveTooLargeError ? `${err.message}` : 'the session store could not be written';
      const message =
        `The files were received on this worker, but the session could not be saved (${why}), so a worker that ` +
        'continues it would not have them. Send them again' +
        (err instanceof SaveTooLargeError ? ' after making room in the session.' : ' once the store answers.');
      throw err instanceof SaveTooLargeError ? new PayloadTooLargeError(message) : new SessionStoreUnavailableError(message);
    }
    return result;
  } finally {
    await claim.lease.release();
  }
}

/** Restores, then gives the git record the service's own config (never the store's). */
async function restoreTrees(durable: DurableSessions, claim: Claim, trees: SessionTrees) {
  const restored = await durable.restore(claim, trees);
  if (await stat(path.join(trees.git, 'HEAD')).catch(() => undefined)) await writeShadowConfig(trees.git);
  return restored;
}
