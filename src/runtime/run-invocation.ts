/**
 * The life of one queued invocation: it waits for a run slot, runs, stores what it produced, and
 * records how it ended. Whatever way the run ends (success, error, limit, timeout, cancel, a fault
 * of ours), its end is recorded and its last event emitted, so no record stays "running" and no
 * event stream waits forever.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Span, Tracer } from '@opentelemetry/api';
import { outputPrefix, type ArtifactStore, type UploadOutbox } from '../artifacts/index.js';
import { fileStoredEvent, type EventPayload } from '../events/index.js';
import type { ValidInvocation } from '../http/invocation-request.js';
import { runModel, type Config } from '../config/index.js';
import { AppError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { ServiceMetrics } from '../metrics/index.js';
import { outcomeWithoutRun, type RunOutcome } from '../runner/index.js';
import { inSpan } from '../tracing/index.js';
import type { SessionRepo } from '../sessions/index.js';
import {
  EMPTY_SNAPSHOT,
  forgetRunSnapshot,
  makeSessionDirs,
  runBaseFile,
  runSnapshotFile,
  saveSnapshot,
  takeSnapshot,
} from '../workspace/index.js';
import type { UploadedFile } from '../artifacts/index.js';
import { startingPoint } from '../codebase/index.js';
import type { Changes, RepositoryInfo } from '../schemas/changes.js';
import { copyInputs } from './copy-inputs.js';
import { restoreForRun, saveAtEnd, startCheckpoints } from './session-state.js';
import type { DurableSessions } from '../durable/index.js';
import type { SessionStateReport } from '../schemas/responses.js';
import { prepareWorkspace } from './prepare-workspace.js';
import { pushChanges } from './push-changes.js';
import { recordChanges, storeRecordedPatch } from './record-changes.js';
import { stateRecord, type ActiveRun } from './active-run.js';
import { runAgentFor, type AgentRunDeps } from './agent-run.js';
import { describeAgentRun, observeEnd } from './observe.js';
import { buildOutput, statusOf, type InvocationOutput } from './output.js';
import type { StateWriter } from './state-writer.js';
import { rankSkipped, storeChanges } from './store-changes.js';
import { storageForRun, type StorageQuota } from './storage-quota.js';
import { budgetReport, budgetStop, chargedOutcome, type SpendDeps } from './key-budget.js';
import type { WarmPool } from '../warm/index.js';
import type { WarmAgent } from './warm-agent.js';

/** What running an invocation needs of the service. */
export interface RunDeps extends AgentRunDeps {
  sessions: SessionRepo;
  store: ArtifactStore;
  /** Keeps uploads that failed, for a later retry. */
  outbox?: UploadOutbox | undefined;
  states: StateWriter;
  /** Stored files and the storage quota of keys; undefined: neither counted nor limited. */
  storage?: StorageQuota | undefined;
  /** Sessions saved to the session store and restored on any worker; undefined: off. */
  durable?: DurableSessions | undefined;
  /** Where ended invocations are counted; undefined: nowhere. */
  metrics?: ServiceMetrics | undefined;
  /** The steps of a run become spans of it; undefined: not traced. */
  tracer?: Tracer | undefined;
  /** What API keys spend (the ledger budgets are decided on); undefined: nothing counted. */
  spend?: SpendDeps | undefined;
  /** Claude Code started ahead of new sessions; told when a run that took one has ended. */
  warm?: WarmPool<WarmAgent> | undefined;
}

/** One queued invocation, handed to `runInvocation`. */
export interface QueuedInvocation {
  run: ActiveRun;
  req: ValidInvocation;
  /** Public origin for download links. */
  baseUrl: string;
  /** The run slot asked for at admission; rejects if the run is cancelled while it waits. */
  slot: Promise<() => void>;
  log: Logger;
  /** Makes the session inactive; called in the same synchronous step as the last event is emitted. */
  deactivate: () => void;
  /** The invocation's span, which its end describes; undefined: not traced. */
  span?: Span | undefined;
}

type Stored = Pick<
  Parameters<typeof buildOutput>[0],
  | 'requestedModel'
  | 'prefix'
  | 'uploaded'
  | 'skipped'
  | 'failed'
  | 'errors'
  | 'egress'
  | 'warmStart'
  | 'mcp'
  | 'changes'
  | 'repository'
  | 'push'
  | 'errorCode'
  | 'sessionState'
>;

/**
 * Waits for the slot, runs, stores, records: resolves with the output, rejects only on a fault of
 * the service (after recording the invocation `failed`).
 * @example const output = await runInvocation(deps, { run, req, baseUrl, slot, log, deactivate });
 */
export async function runInvocation(deps: RunDeps, q: QueuedInvocation): Promise<InvocationOutput> {
  const { run, log } = q;
  const queuedAt = performance.now();
  let release: () => void;
  try {
    release = await inSpan(deps.tracer, 'queue', {}, () => q.slot).finally(() =>
      deps.metrics?.queueWait.observe((performance.now() - queuedAt) / 1000),
    );
  } catch {
    // Cancelled while queued: it never ran, so there is nothing to store (or save).
    await run.claim?.lease.release();
    await endWarm(deps, run);
    const nothing = { requestedModel: undefined, prefix: '', uploaded: [], skipped: [], failed: [] };
    return finish(deps, q, outcomeWithoutRun('cancelled', 'Cancelled before it started; nothing ran.'), new Date(), nothing);
  }
  const ranAt = new Date();
  try {
    const { outcome, startedAt, stored } = await execute(deps, q);
    const output = finish(deps, q, outcome, startedAt, stored);
    log.info(
      {
        success: outcome.success,
        stop_reason: outcome.stopReason,
        files: stored.uploaded.length,
        failed: stored.failed.length,
        ms: output.output.metadata.duration_ms,
      },
      'invocation finished',
    );
    return output;
  } catch (err) {
    // Never leave an invocation "running" in the record because of a fault of ours.
    log.error({ err }, 'invocation failed inside the service');
    void run.claim?.lease.release();
    try {
      // What the meter counted is charged however the run ended.
      const charged = chargedOutcome(outcomeWithoutRun('error', String(err)), run.meter);
      const endedAt = new Date();
      deps.sessions.finishInvocation({
        sessionId: run.sessionId,
        invocationId: run.invocationId,
        status: 'failed',
        endedAt,
        output: { error: String(err) },
        costUsd: charged.costUsd,
        claudeSessionId: undefined,
      });
      deps.spend?.ledger.finish(run.invocationId, { status: 'failed', costUsd: charged.costUsd, usage: charged.usage }, endedAt);
      forgetRunSnapshot(deps.config.sessionsBase, run.sessionId, run.invocationId);
    } catch (recordErr) {
      // The record stays unfinished: the next start recovers it from its snapshot.
      log.error({ err: recordErr }, 'could not record the failed invocation');
    } finally {
      // Event streams wait for this event: it must come whatever the database did.
      complete(deps, q, 'failed', null);
      observeEnd({ metrics: deps.metrics, span: q.span }, { keyId: run.ownerKeyId, status: 'failed', startedAt: ranAt, output: null });
    }
    throw err;
  } finally {
    release();
    // However the run ended (a clone that failed, a fault of ours), the session is let go, and its
    // warm agent, used or not, is ended.
    await run.claim?.lease.release();
    await endWarm(deps, run);
  }
}

/** The run itself, then storing what it produced. */
async function execute(deps: RunDeps, q: QueuedInvocation): Promise<{ outcome: RunOutcome; startedAt: Date; stored: Stored }> {
  const { config, sessions, events } = deps;
  const { run, req, log } = q;
  const { sessionId, invocationId } = run;
  const startedAt = new Date();
  const dirs = await makeSessionDirs(config.sessionsBase, sessionId);
  sessions.markRunning(invocationId, startedAt);
  // A session another worker continued (or this worker never had) is brought to its saved generation first.
  let restored: SessionStateReport['restored'] = null;
  const claim = run.claim;
  if (claim !== undefined) {
    const r = await inSpan(deps.tracer, 'workspace.restore', {}, () => restoreForRun(deps, claim, run, dirs, log));
    restored = r.restored;
    if (r.failed !== undefined) {
      const nothing = { requestedModel: undefined, prefix: '', uploaded: [], skipped: [], failed: [], errorCode: r.failed.errorCode };
      return { outcome: r.failed.outcome, startedAt, stored: nothing };
    }
  }
  let origin: RepositoryInfo | undefined;
  try {
    origin = await inSpan(deps.tracer, 'workspace.prepare', { 'cca.repository': run.git?.clone !== undefined }, () =>
      prepareWorkspace(deps, run, dirs, req.timeoutMs, log),
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.info({ err: message }, 'the workspace could not be prepared');
    const stopReason = run.controller.signal.aborted ? 'cancelled' : 'workspace_error';
    const errorCode = err instanceof AppError ? err.code : undefined;
    const nothing = { requestedModel: undefined, prefix: '', uploaded: [], skipped: [], failed: [], errorCode };
    return { outcome: outcomeWithoutRun(stopReason, `The repository could not be cloned: ${message}`), startedAt, stored: nothing };
  }
  // The inputs of input_s3_prefix, before the starting point is recorded: they are not the run's changes.
  const notCopied =
    run.inputs === undefined
      ? undefined
      : await inSpan(deps.tracer, 'workspace.inputs', {}, () =>
          copyInputs(deps, run, dirs, req.timeoutMs - (Date.now() - startedAt.getTime()), log),
        );
  if (notCopied)
    return { outcome: notCopied, startedAt, stored: { requestedModel: undefined, prefix: '', uploaded: [], skipped: [], failed: [] } };
  // The record the changes are found against: the clone, or the workspace as it is now.
  const base = await startingPoint({
    gitDir: dirs.git,
    workspace: dirs.workspace,
    maxFileBytes: config.limits.maxFileBytes,
    message: 'start',
    // A warm agent's session: its git dir was made with it, and nothing was put in its workspace.
    fresh: run.warm !== undefined && run.git?.clone === undefined && run.inputs === undefined,
  }).catch((err: unknown) => {
    log.warn({ err: String(err) }, 'could not record the workspace before the run');
    return undefined;
  });
  // The conversation to continue; a session that has one has had an invocation before.
  const resume = sessions.getSession(sessionId)?.claude_session_id ?? undefined;
  const since: Changes['since'] =
    run.git?.clone !== undefined ? 'repository' : resume !== undefined ? 'previous_invocation' : 'session_start';
  // A repository's changes come from git (its index makes that cheap, whatever the size of the
  // tree); a plain workspace is walked, as it always was.
  const fromGit = origin !== undefined && base !== undefined;
  const before = fromGit ? EMPTY_SNAPSHOT : await takeSnapshot(dirs.workspace, config.limits);
  // Kept until the end is recorded: after a crash, the next start stores what the run changed.
  if (!fromGit) await saveSnapshot(runSnapshotFile(config.sessionsBase, sessionId, invocationId), before);
  else await saveRunBase(runBaseFile(config.sessionsBase, sessionId, invocationId), base);
  events.emit(sessionId, invocationId, { type: 'invocation.started', data: { resumed: resume !== undefined } });
  deps.states.write(stateRecord(run, 'running', null));
  log.info({ resume: resume !== undefined, tools: req.tools, mode: req.permissionMode }, 'invocation started');

  const model = runModel(req.model, config);
  // The clone's time counts in the run's timeout.
  const timeoutMs = Math.max(1000, req.timeoutMs - (Date.now() - startedAt.getTime()));
  const stopCheckpoints =
    run.claim === undefined
      ? async () => undefined
      : startCheckpoints(
          deps,
          run.claim,
          {
            sessionId,
            invocationId,
            ownerKeyId: run.ownerKeyId,
            createdAt: sessions.getSession(sessionId)?.created_at ?? startedAt.toISOString(),
            dirs,
            everyMs: config.sessionState.checkpointMs,
          },
          log,
        );
  const agentAttributes = {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.provider.name': GEN_AI_PROVIDER[config.provider.kind],
    ...(model !== undefined ? { 'gen_ai.request.model': model } : {}),
    'cca.resumed': resume !== undefined,
  };
  const { outcome, egress, mcp, warmStart } = await inSpan(deps.tracer, 'agent.run', agentAttributes, async (span) => {
    const result = await runAgentFor(deps, { run, req: { ...req, timeoutMs }, dirs, model, resume, log });
    describeAgentRun(span, result.outcome);
    return result;
  }).finally(stopCheckpoints);

  // Store what this invocation produced, however the run ended.
  const prefix = outputPrefix(startedAt, invocationId);
  const storage = storageForRun(deps.storage, run.ownerKeyId, sessionId, invocationId);
  const onStored = (file: UploadedFile) => {
    storage.record(file);
    events.emit(sessionId, invocationId, fileStoredEvent(file));
  };
  const { recorded, upload, changes } = await inSpan(
    deps.tracer,
    'artifacts.store',
    { 'cca.storage': config.storage.kind },
    async (span) => {
      const recorded =
        base === undefined
          ? undefined
          : await recordChanges(deps, {
              dirs,
              base,
              since,
              prefix,
              baseUrl: q.baseUrl,
              invocationId,
            });
      const upload = await storeChanges({
        store: deps.store,
        outbox: deps.outbox,
        workspace: dirs.workspace,
        before,
        changed: !fromGit
          ? undefined
          : recorded?.head !== undefined
            ? recorded.written
            : await writtenSince(dirs.workspace, startedAt, config.limits),
        limits: config.limits,
        prefix,
        baseUrl: q.baseUrl,
        sessionId,
        invocationId,
        onStored,
        ...(storage.quota ? { quota: storage.quota } : {}),
      });
      // A repository's skipped entries come from the record; a walked workspace's from the walk, but
      // its FIFOs and sockets were removed by the record before the walk could see them.
      const fromRecord = recorded?.leftOut.filter((l) => fromGit || l.reason === 'special_file') ?? [];
      if (fromRecord.length > 0) upload.skipped = rankSkipped([...upload.skipped, ...fromRecord]);
      // Every entry, for paging; the output keeps only the first of each list.
      await sessions.files.record(sessionId, invocationId, upload);
      // After the files: they come first in the key's storage quota.
      const changes =
        recorded === undefined
          ? undefined
          : await storeRecordedPatch(deps.store, recorded, {
              prefix,
              baseUrl: q.baseUrl,
              admit: (size) => fitsQuota(storage.quota, size),
              record: (file) => storage.record(file),
            });
      span.setAttributes({
        'cca.files.stored': upload.uploaded.length,
        'cca.files.failed': upload.failed.length,
        'cca.files.skipped': upload.skipped.length,
        'cca.bytes.stored': upload.uploaded.reduce((n, f) => n + f.size, 0),
      });
      return { recorded, upload, changes };
    },
  );
  const git = run.git;
  const push = git
    ? await inSpan(deps.tracer, 'git.push', {}, () =>
        pushChanges(config, git, {
          gitDir: dirs.git,
          head: recorded?.head,
          origin,
          completed: outcome.success,
          prompt: req.prompt,
          log,
        }),
      )
    : undefined;
  const errors = [...(upload.errors ?? []), ...(recorded?.error !== undefined ? [recorded.error] : [])];
  // Last: the saved session is the workspace as the run left it, with the conversation to resume.
  const sessionState =
    claim === undefined
      ? run.unsaved === undefined
        ? undefined
        : { generation: null, restored: null, saved: null, error: run.unsaved }
      : await inSpan(deps.tracer, 'session.save', {}, () =>
          saveAtEnd(
            deps,
            claim,
            {
              sessionId,
              invocationId,
              ownerKeyId: run.ownerKeyId,
              dirs,
              claudeSessionId: outcome.claudeSessionId ?? resume ?? null,
              repository: origin,
              restored,
            },
            log,
          ),
        );
  return {
    outcome,
    startedAt,
    stored: { requestedModel: model, prefix, ...upload, errors, egress, mcp, warmStart, changes, repository: origin, push, sessionState },
  };
}

/** Whether the key's storage quota has room for `size` more bytes (no quota: always). */
function fitsQuota(quota: ReturnType<typeof storageForRun>['quota'], size: number): boolean {
  if (quota === undefined) return true;
  const entry = { path: 'changes.patch', kind: 'file', size, mtimeNs: 0n, ctimeNs: 0n, ino: 0n, dev: 0n, nlink: 1 } as const;
  const admitted = quota([entry]);
  admitted.release();
  return admitted.files.length === 1;
}

/** Keeps a repository invocation's starting commit while it runs: after a crash, recovery finds its changes from it. */
async function saveRunBase(file: string, base: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await fs.writeFile(file, base, { mode: 0o600 });
}

/**
 * The files of a repository workspace written since the run started, found by a walk: what is
 * stored when git could not record the workspace, so a failed record loses no file.
 */
async function writtenSince(workspace: string, startedAt: Date, limits: Config['limits']): Promise<string[]> {
  const since = BigInt(startedAt.getTime()) * 1_000_000n;
  const now = await takeSnapshot(workspace, limits);
  return [...now.entries.values()].filter((e) => e.mtimeNs >= since && !/^\.git(\/|$)/.test(e.path)).map((e) => e.path);
}

/** Records how the invocation ended (and what it is charged) and emits its last event. */
function finish(deps: RunDeps, q: QueuedInvocation, ran: RunOutcome, startedAt: Date, stored: Stored): InvocationOutput {
  const { sessionId, invocationId } = q.run;
  const endedAt = new Date();
  const { outcome, errorCode } = budgetStop(chargedOutcome(ran, q.run.meter), q.run.budget);
  const output = buildOutput({
    sessionId,
    invocationId,
    startedAt,
    endedAt,
    outcome,
    ...stored,
    ...(errorCode !== undefined ? { errorCode } : {}),
    budget: budgetReport(q.run.budget),
    listLimit: deps.config.limits.maxListedFiles,
  });
  const status = statusOf(outcome);
  deps.sessions.finishInvocation({
    sessionId,
    invocationId,
    status,
    endedAt,
    output,
    costUsd: outcome.costUsd,
    claudeSessionId: outcome.claudeSessionId,
  });
  // The same figure as the output's cost_usd, so /usage adds up to what the runs reported.
  deps.spend?.ledger.finish(
    invocationId,
    { status, costUsd: outcome.costUsd, usage: outcome.usage, calls: q.run.meter?.reading().calls },
    endedAt,
  );
  forgetRunSnapshot(deps.config.sessionsBase, sessionId, invocationId);
  complete(deps, q, status, output);
  observeEnd({ metrics: deps.metrics, span: q.span }, { keyId: q.run.ownerKeyId, status, startedAt, output });
  return output;
}

/** The provider as OpenTelemetry's GenAI conventions name it (`gen_ai.provider.name`). */
const GEN_AI_PROVIDER: Readonly<Record<Config['provider']['kind'], string>> = {
  anthropic: 'anthropic',
  bedrock: 'aws.bedrock',
  vertex: 'gcp.vertex_ai',
  none: 'none',
};

/**
 * The session stops being active and the last event is emitted in one synchronous step: an event
 * stream that sees the completion and then asks `isActive()` must get false, or it would wait on.
 */
function complete(
  deps: RunDeps,
  q: QueuedInvocation,
  status: EventPayload<'invocation.completed'>['status'],
  output: InvocationOutput | null,
): void {
  q.deactivate();
  deps.events.emit(q.run.sessionId, q.run.invocationId, { type: 'invocation.completed', data: { status, output } });
  deps.states.write(stateRecord(q.run, status, output));
}

/** Ends the run's warm agent, used or not, and tells the pool: its shape may have a replacement now. */
async function endWarm(deps: Pick<RunDeps, 'warm'>, run: ActiveRun): Promise<void> {
  if (run.warm === undefined) return;
  await run.warm.abandon();
  deps.warm?.release(run.warm);
}
