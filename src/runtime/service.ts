/**
 * One invocation from request to response: session, workspace, the run, what changed, storage.
 * Whatever way the run ends (success, error, limit, timeout), the files it produced are stored.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/index.js';
import { NO_PROVIDER_MESSAGE } from '../config/index.js';
import { ConflictError, NotFoundError, UnavailableError, ValidationError } from '../errors/index.js';
import type { RunSlots } from '../gateway/slots.js';
import type { Logger } from '../logging/index.js';
import { buildChildEnv, runAgent, type RunHooks } from '../runner/index.js';
import type { SessionRepo } from '../sessions/index.js';
import { outputPrefix, uploadFiles, type ArtifactStore } from '../artifacts/index.js';
import {
  detectChanges,
  ensureWorkspace,
  isValidSessionId,
  openWorkspaceFile,
  takeSnapshot,
  type FileEntry,
  type Snapshot,
} from '../workspace/index.js';
import type { Activity } from './activity.js';
import { buildOutput, statusOf, type InvocationOutput } from './output.js';
import type { ValidInvocation } from './schema.js';

export interface ServiceDeps {
  config: Config;
  sessions: SessionRepo;
  store: ArtifactStore;
  activity: Activity;
  slots: RunSlots;
  logger: Logger;
  /** Host facts the child environment inherits (PATH, locale); read once by the caller. */
  hostEnv: { PATH?: string | undefined; LANG?: string | undefined; LC_ALL?: string | undefined; TZ?: string | undefined };
}

const CLIENT_APP = 'claude-code-agent/0.1.0';

interface RunState {
  sessionId: string;
  invocationId: string;
  startedAt: Date;
  workspace: string;
  home: string;
  tmpdir: string;
  before: Snapshot;
  controller: AbortController;
  log: Logger;
  resume: string | undefined;
}

/** Who asks for a run, and where its links point. */
export interface InvokeContext {
  /** From the AgentCore session header; wins over the body's session_id. */
  sessionId?: string | undefined;
  /** Public origin for download links. */
  baseUrl: string;
  /** The API key asking; undefined on the unauthenticated runtime. Sessions of other keys are invisible. */
  ownerKeyId?: string | undefined;
  /** The key's limit on concurrent runs (ignored without an owner). */
  maxConcurrent?: number | undefined;
  hooks?: RunHooks;
}

/** Runs invocations; one at a time per session, within the run slots. */
export class InvocationService {
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly deps: ServiceDeps) {}

  private get sessionsRoot(): string {
    return path.join(this.deps.config.dataDir, 'sessions');
  }

  /** Runs one invocation to its end and returns the response. `sessionId` from a header wins over the body. */
  async invoke(req: ValidInvocation, ctx: InvokeContext): Promise<InvocationOutput> {
    const { config, sessions, store, logger } = this.deps;
    const sessionId = ctx.sessionId ?? req.sessionId ?? randomUUID();
    if (!isValidSessionId(sessionId)) {
      throw new ValidationError(
        'session_id must be 1-128 characters of letters, digits, ".", "_" or "-", starting with a letter or digit; omit it to start a new session.',
        { field: 'session_id' },
      );
    }
    if (config.provider.kind === 'none') throw new UnavailableError(NO_PROVIDER_MESSAGE, { code: 'no_model_provider' });
    const existing = sessions.getSession(sessionId);
    if (existing && ctx.ownerKeyId !== undefined && existing.owner_key_id !== ctx.ownerKeyId) {
      // Another key's session: indistinguishable from one that does not exist.
      throw new NotFoundError(`Session ${sessionId} was not found; omit session_id to start a new session.`);
    }
    if (this.running.has(sessionId)) {
      throw new ConflictError(`Session ${sessionId} is already running an invocation; wait for it to finish, or use another session_id.`);
    }
    const controller = new AbortController();
    // Reserved before waiting for a slot, so a second request for the session gets 409, not a queue place.
    this.running.set(sessionId, controller);
    let release: (() => void) | undefined;
    let done: (() => void) | undefined;
    try {
      release = await this.deps.slots.acquire(ctx.ownerKeyId, ctx.maxConcurrent ?? Number.POSITIVE_INFINITY, controller.signal);
      done = this.deps.activity.begin();
      const invocationId = randomUUID();
      const startedAt = new Date();
      const workspace = await ensureWorkspace(this.sessionsRoot, sessionId);
      const home = path.join(this.sessionsRoot, sessionId, 'home');
      const tmpdir = path.join(this.sessionsRoot, sessionId, 'tmp');
      await Promise.all([fs.mkdir(home, { recursive: true, mode: 0o700 }), fs.mkdir(tmpdir, { recursive: true, mode: 0o700 })]);
      const before = await takeSnapshot(workspace, config.limits);
      const session = sessions.startInvocation({
        sessionId,
        invocationId,
        startedAt,
        prompt: req.prompt,
        request: req.raw,
        ownerKeyId: ctx.ownerKeyId,
      });
      const log = logger.child({ session_id: sessionId, invocation_id: invocationId });
      log.info({ resume: session.claude_session_id !== null, tools: req.tools, mode: req.permissionMode }, 'invocation started');
      try {
        return await this.execute(
          req,
          {
            sessionId,
            invocationId,
            startedAt,
            workspace,
            home,
            tmpdir,
            before,
            controller,
            log,
            resume: session.claude_session_id ?? undefined,
          },
          ctx,
        );
      } catch (err) {
        // Never leave an invocation "running" in the record because of a fault of ours.
        log.error({ err }, 'invocation failed inside the service');
        sessions.finishInvocation({
          sessionId,
          invocationId,
          status: 'failed',
          endedAt: new Date(),
          output: { error: String(err) },
          costUsd: 0,
          claudeSessionId: undefined,
        });
        throw err;
      }
    } finally {
      this.running.delete(sessionId);
      done?.();
      release?.();
    }
  }

  /** The run itself, then storing what it produced; the record is finished here. */
  private async execute(req: ValidInvocation, run: RunState, ctx: InvokeContext): Promise<InvocationOutput> {
    const { config, sessions, store } = this.deps;
    const { sessionId, invocationId, startedAt, workspace, home, tmpdir, before, log } = run;

    const model = req.model ?? config.model ?? config.provider.defaultModel;
    const outcome = await runAgent(
      {
        prompt: req.prompt,
        permissionMode: req.permissionMode,
        tools: req.tools,
        maxTurns: req.maxTurns,
        maxBudgetUsd: req.maxBudgetUsd,
        timeoutMs: req.timeoutMs,
        model,
        resume: run.resume,
      },
      {
        workspace,
        env: buildChildEnv({
          path: this.deps.hostEnv.PATH,
          home,
          tmpdir,
          locale: this.deps.hostEnv,
          providerEnv: config.provider.env,
          modelMaxRetries: config.modelMaxRetries,
          clientApp: CLIENT_APP,
        }),
        abortController: run.controller,
        claudePath: config.claudePath,
        stderr: (line) => log.debug({ stderr: line.trimEnd() }, 'claude stderr'),
      },
      ctx.hooks,
    );

    // Store what this invocation produced, however the run ended.
    const after = await takeSnapshot(workspace, config.limits);
    const changes = detectChanges(before, after, config.limits);
    const byPath = new Map<string, FileEntry>(changes.files.map((f) => [f.path, f]));
    const prefix = outputPrefix(startedAt, invocationId);
    const upload = await uploadFiles(store, changes.files, (rel) => openWorkspaceFile(workspace, byPath.get(rel) as FileEntry), {
      prefix,
      baseUrl: ctx.baseUrl,
    });
    const endedAt = new Date();
    const output = buildOutput({
      sessionId,
      invocationId,
      startedAt,
      endedAt,
      outcome,
      requestedModel: model,
      prefix,
      uploaded: upload.uploaded,
      skipped: changes.skipped,
      failed: upload.failed,
    });
    sessions.finishInvocation({
      sessionId,
      invocationId,
      status: statusOf(outcome),
      endedAt,
      output,
      costUsd: outcome.costUsd,
      claudeSessionId: outcome.claudeSessionId,
    });
    log.info(
      {
        success: outcome.success,
        stop_reason: outcome.stopReason,
        files: upload.uploaded.length,
        failed: upload.failed.length,
        ms: output.output.metadata.duration_ms,
      },
      'invocation finished',
    );
    return output;
  }

  /** Aborts every run in progress (shutdown); each still stores its files and records its end. */
  cancelAll(): void {
    for (const controller of this.running.values()) controller.abort('cancelled');
  }

  get activeRuns(): number {
    return this.running.size;
  }
}
