/**
 * Runs the process died in (a crash, kill -9, a lost machine) are finished at the next start. Each
 * invocation saves its "before" snapshot when it starts running and deletes it when it ends; an
 * invocation still `queued` or `running` at start-up is compared against that snapshot, the files
 * it created or changed are stored, and it ends `interrupted` with a full output and its
 * `invocation.completed` event, so event streams of its session end.
 */
import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { outputPrefix, type ArtifactStore, type UploadOutbox } from '../artifacts/index.js';
import { runModel, type Config } from '../config/index.js';
import type { DurableSessions } from '../durable/index.js';
import { fileStoredEvent, type SessionEvents } from '../events/index.js';
import type { Logger } from '../logging/index.js';
import { outcomeWithoutRun, type RunOutcome } from '../runner/index.js';
import type { InvocationRow, SessionRepo } from '../sessions/index.js';
import type { StateWriter } from './state-writer.js';
import {
  EMPTY_SNAPSHOT,
  ensureWorkspace,
  forgetRunSnapshot,
  isValidSessionId,
  loadSnapshot,
  runBaseFile,
  runSnapshotFile,
  sessionDirs,
  sessionsRoot,
  type Snapshot,
} from '../workspace/index.js';
import { stateRecord } from './active-run.js';
import { buildOutput, type InvocationOutput } from './output.js';
import { storeChanges, type StoredChanges } from './store-changes.js';
import { recordChanges, storeRecordedPatch } from './record-changes.js';
import type { Changes } from '../schemas/changes.js';
import { storageForRun, type StorageQuota } from './storage-quota.js';
import type { SpendLedger } from '../usage/index.js';

export interface RecoveryDeps {
  config: Config;
  sessions: SessionRepo;
  store: ArtifactStore;
  outbox: UploadOutbox;
  events: SessionEvents;
  /** The service's ordered state writes: an `interrupted` state never lands after a newer one. */
  states: StateWriter;
  logger: Logger;
  /** Stored files and the storage quota of keys. */
  storage?: StorageQuota | undefined;
  /** Durable session state: the leases this worker held for the interrupted invocations are given back. */
  durable?: Pick<DurableSessions, 'releaseStale'> | undefined;
  /** The spend ledger: an interrupted run is charged what its meter had counted. */
  spend?: SpendLedger | undefined;
}

/** One invocation finished by recovery. */
export interface RecoveredInvocation {
  sessionId: string;
  invocationId: string;
  /** Whether it had started running (a snapshot was found). */
  ran: boolean;
  stored: number;
  failed: number;
}

/**
 * Finishes every invocation left `queued` or `running` by a process that died: stores its files,
 * records it `interrupted`, emits its last event and mirrors its state. Call before serving.
 * @example const recovered = await recoverInterrupted({ config, sessions, store, outbox, events, states, logger });
 */
export async function recoverInterrupted(deps: RecoveryDeps): Promise<RecoveredInvocation[]> {
  // Where the sessions' folders are: the data dir, or CCA_SESSIONS_BASE.
  const dataDir = deps.config.sessionsBase;
  const recovered: RecoveredInvocation[] = [];
  for (const row of deps.sessions.listUnfinished()) {
    const log = deps.logger.child({ session_id: row.session_id, invocation_id: row.id });
    try {
      recovered.push(await recoverOne(deps, row, log));
    } catch (err) {
      // One broken workspace must not keep the service from starting or the others from recovering.
      log.error({ err }, 'could not store the files of an interrupted invocation');
      const at = new Date();
      const message = `The service stopped during this invocation, and storing its files at the next start failed (${String(err)}); they are still in the session's workspace.`;
      record(deps, row, outcomeWithoutRun('interrupted', message), at, { uploaded: [], skipped: [], failed: [] }, '');
      recovered.push({ sessionId: row.session_id, invocationId: row.id, ran: row.status === 'running', stored: 0, failed: 0 });
    }
    forgetRunSnapshot(dataDir, row.session_id, row.id);
    // The session need not wait for the lease to expire. Its copy here keeps what the run did: if no
    // other worker saved the session since, the next invocation here goes on from it and saves it.
    await deps.durable?.releaseStale(row.session_id, row.id);
  }
  await removeStaleSnapshots(dataDir, deps.logger);
  return recovered;
}

async function recoverOne(deps: RecoveryDeps, row: InvocationRow, log: Logger): Promise<RecoveredInvocation> {
  const { config } = deps;
  const ids = { sessionId: row.session_id, invocationId: row.id };
  let before: Snapshot | undefined;
  let unreadable: string | undefined;
  try {
    before = await loadSnapshot(runSnapshotFile(config.sessionsBase, row.session_id, row.id));
  } catch (err) {
    unreadable = String(err);
    log.warn({ err }, 'the snapshot of an interrupted invocation cannot be read');
  }
  const startedAt = new Date(row.started_at);
  const prefix = outputPrefix(startedAt, row.id);
  // A repository invocation keeps its starting commit instead of a snapshot: git finds its changes.
  const base = await readFile(runBaseFile(config.sessionsBase, row.session_id, row.id), 'utf8').catch(() => undefined);
  let changes: Changes | undefined;
  let changed: string[] | undefined;
  let pendingPatch: Awaited<ReturnType<typeof recordChanges>> | undefined;
  if (before === undefined && base !== undefined && /^[0-9a-f]{40,64}$/.test(base.trim())) {
    const dirs = sessionDirs(config.sessionsBase, row.session_id);
    const recorded = await recordChanges(deps, {
      dirs,
      base: base.trim(),
      since: 'previous_invocation',
      prefix,
      baseUrl: config.publicUrl ?? '',
      invocationId: row.id,
    });
    if (recorded.head !== undefined) {
      pendingPatch = recorded;
      changed = recorded.written;
      before = EMPTY_SNAPSHOT;
    }
  }
  if (before === undefined) {
    const message =
      row.status === 'queued' && unreadable === undefined
        ? 'The service stopped before this invocation started; nothing ran and no files were stored. Send it again.'
        : `The service stopped while this invocation was running, and the snapshot of the workspace taken at its start is ${unreadable ? 'unreadable' : 'missing'}, so which files it changed is unknown and none were stored; the files are still in the session's workspace.`;
    record(deps, row, outcomeWithoutRun('interrupted', message), new Date(), { uploaded: [], skipped: [], failed: [] }, prefix);
    return { ...ids, ran: row.status === 'running', stored: 0, failed: 0 };
  }
  const workspace = await ensureWorkspace(sessionsRoot(config.sessionsBase), row.session_id);
  const owner = deps.sessions.getSession(row.session_id)?.owner_key_id ?? undefined;
  const storage = storageForRun(deps.storage, owner, row.session_id, row.id);
  const stored = await storeChanges({
    store: deps.store,
    outbox: deps.outbox,
    workspace,
    before,
    changed,
    limits: config.limits,
    prefix,
    baseUrl: config.publicUrl ?? '',
    ...ids,
    onStored: (file) => {
      storage.record(file);
      deps.events.emit(row.session_id, row.id, fileStoredEvent(file));
    },
    ...(storage.quota ? { quota: storage.quota } : {}),
  });
  await deps.sessions.files.record(row.session_id, row.id, stored);
  if (pendingPatch !== undefined) {
    changes = await storeRecordedPatch(deps.store, pendingPatch, {
      prefix,
      baseUrl: config.publicUrl ?? '',
      record: (file) => storage.record(file),
    });
  }
  const files = `${stored.uploaded.length} file(s) it created or changed were stored`;
  const retry = stored.failed.length > 0 ? `, ${stored.failed.length} more could not be stored yet and are retried in the background` : '';
  const message = `The service stopped while this invocation was running (it did not shut down cleanly), so the run did not finish. ${files}${retry}. The workspace keeps everything it wrote: send a new invocation in this session to go on from there.`;
  record(deps, row, outcomeWithoutRun('interrupted', message), new Date(), stored, prefix, changes);
  log.warn({ stored: stored.uploaded.length, failed: stored.failed.length }, 'interrupted invocation recovered');
  return { ...ids, ran: true, stored: stored.uploaded.length, failed: stored.failed.length };
}

/** Records the end, emits the last event and mirrors the state, as a run that ends does. */
function record(
  deps: RecoveryDeps,
  row: InvocationRow,
  interrupted: RunOutcome,
  endedAt: Date,
  stored: StoredChanges,
  prefix: string,
  changes?: Changes | undefined,
): void {
  // The meter wrote what the run spent as it went: that is what it cost, though no result came.
  const metered = deps.spend?.reading(row.id);
  const outcome = metered === undefined ? interrupted : { ...interrupted, costUsd: metered.costUsd, usage: metered.usage };
  const output: InvocationOutput = buildOutput({
    sessionId: row.session_id,
    invocationId: row.id,
    startedAt: new Date(row.started_at),
    endedAt,
    outcome,
    requestedModel: requestedModel(row, deps.config),
    prefix,
    ...stored,
    changes,
    listLimit: deps.config.limits.maxListedFiles,
  });
  deps.sessions.finishInvocation({
    sessionId: row.session_id,
    invocationId: row.id,
    status: 'interrupted',
    endedAt,
    output,
    costUsd: outcome.costUsd,
    claudeSessionId: undefined,
  });
  deps.spend?.finish(row.id, { status: 'interrupted', costUsd: outcome.costUsd, usage: outcome.usage, calls: metered?.calls }, endedAt);
  deps.events.emit(row.session_id, row.id, { type: 'invocation.completed', data: { status: 'interrupted', output } });
  const ownerKeyId = deps.sessions.getSession(row.session_id)?.owner_key_id ?? undefined;
  const invocation = { sessionId: row.session_id, invocationId: row.id, ownerKeyId, prompt: row.prompt };
  deps.states.write(stateRecord(invocation, 'interrupted', output, endedAt));
}

/** The model the request asked for, else the service's. */
function requestedModel(row: InvocationRow, config: Config): string | undefined {
  try {
    const model = (JSON.parse(row.request_json) as { model?: unknown } | null)?.model;
    if (typeof model === 'string' && model !== '') return model;
  } catch {
    // An unreadable request is not a reason to fail the recovery.
  }
  return runModel(undefined, config);
}

// A snapshot left after its invocation ended (the process died between recording the end and
// deleting it) would otherwise stay forever. Only plain directories are entered and only snapshot
// files removed: a session directory is no place to follow a link from. A name that is no session
// id was never made by the service, and is left alone.
async function removeStaleSnapshots(dataDir: string, logger: Logger): Promise<void> {
  for (const id of await readdir(sessionsRoot(dataDir)).catch(() => [] as string[])) {
    if (!isValidSessionId(id)) continue;
    const { root, snapshots: dir } = sessionDirs(dataDir, id);
    if (!(await isPlainDirectory(root)) || !(await isPlainDirectory(dir))) continue;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const file = path.join(dir, name);
      if (!SNAPSHOT_NAME.test(name) || !(await lstat(file).catch(() => undefined))?.isFile()) continue;
      await rm(file, { force: true }).catch((err: unknown) => logger.warn({ err, file }, 'could not remove a stale snapshot'));
    }
  }
}

const SNAPSHOT_NAME = /^[0-9a-f-]{36}(\.json(\.\d+\.tmp)?|\.base)$/;

async function isPlainDirectory(dir: string): Promise<boolean> {
  return (await lstat(dir).catch(() => undefined))?.isDirectory() ?? false;
}
