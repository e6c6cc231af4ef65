/**
 * Invocations from request to result: the session is reserved, the invocation recorded as queued,
 * then it waits for a run slot, runs, and stores what it produced. Whatever way the run ends
 * (success, error, limit, timeout, cancel), its files are stored and its last event is recorded.
 * Callers either wait for the result (sync) or leave with the ids (async); the run is the same.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { outputPrefix, type ArtifactStore, type UploadOutbox } from '../artifacts/index.js';
import type { Config } from '../config/index.js';
import { NO_PROVIDER_MESSAGE } from '../config/index.js';
import { EgressNotAllowedError, runDomains, type DomainPattern } from '../egress/index.js';
import { ConflictError, NotFoundError, UnavailableError, ValidationError } from '../errors/index.js';
import { eventsFromSdkMessage, newUsageState, type EventPayload, type SessionEvents } from '../events/index.js';
import type { RunSlots } from './slots.js';
import type { Logger } from '../logging/index.js';
import { buildChildEnv, outcomeWithoutRun, runAgent, type RunOutcome } from '../runner/index.js';
import { SANDBOX_UNAVAILABLE_HINT, sandboxForRun, type SandboxStatus } from '../sandbox/index.js';
import type { SessionRepo } from '../sessions/index.js';
import { ensureWorkspace, isValidSessionId, saveSnapshot, takeSnapshot } from '../workspace/index.js';
import type { Activity } from './activity.js';
import { Approvals, type AnswerResult } from './approvals.js';
import { buildOutput, statusOf, type InvocationOutput } from './output.js';
import { forgetRunSnapshot, runSnapshotFile } from './recovery.js';
import { openRunEgress } from './run-egress.js';
import type { ValidInvocation } from '../http/invocation-request.js';
import { storeChanges } from './store-changes.js';
import type { InvocationStatus } from '../schemas/responses.js';
import type { StateMirror } from '../state/index.js';

export interface ServiceDeps {
  config: Config;
  sessions: SessionRepo;
  store: ArtifactStore;
  activity: Activity;
  slots: RunSlots;
  events: SessionEvents;
  /** Where session state is mirrored to survive the process (S3 on AgentCore); none locally. */
  state: StateMirror;
  /** Keeps uploads that failed, for a later retry. */
  outbox?: UploadOutbox;
  logger: Logger;
  /** Host facts the child environment inherits (PATH, locale); read once by the caller. */
  hostEnv: { PATH?: string | undefined; LANG?: string | undefined; LC_ALL?: string | undefined; TZ?: string | undefined };
  /** How runs are sandboxed: detectSandbox(config.sandbox), once at start-up. */
  sandbox: SandboxStatus;
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
}

/** A started invocation: its ids, the id of its first event, and its result to come. */
export interface StartedInvocation {
  sessionId: string;
  invocationId: string;
  /** The `invocation.queued` event: a stream of this invocation starts after `firstEventId - 1`. */
  firstEventId: number;
  /** Resolves with the output when the invocation ends; rejects only on a fault of the service. */
  done: Promise<InvocationOutput>;
}

/** A run in a session: queued or running. */
interface ActiveRun {
  invocationId: string;
  prompt: string;
  ownerKeyId: string | undefined;
  controller: AbortController;
  approvals: Approvals;
  /** Hosts the run may reach; undefined: the host's network. */
  egress: DomainPattern[] | undefined;
}

const CLIENT_APP = 'claude-code-agent/0.1.0';

/** Runs invocations; one at a time per session, within the run slots. */
export class InvocationService {
  private readonly active = new Map<string, ActiveRun>();
  private readonly mirrorWrites = new Map<string, Promise<void>>();
  private closing = false;

  constructor(private readonly deps: ServiceDeps) {}

  private get sessionsRoot(): string {
    return path.join(this.deps.config.dataDir, 'sessions');
  }

  /** Runs one invocation to its end and returns the output (the synchronous API). */
  async invoke(req: ValidInvocation, ctx: InvokeContext): Promise<InvocationOutput> {
    return (await this.start(req, ctx)).done;
  }

  /**
   * Checks the request against the session and capacity (4xx/503 are thrown here, before anything
   * is recorded), records the invocation as queued, and runs it in the background.
   */
  async start(req: ValidInvocation, ctx: InvokeContext): Promise<StartedInvocation> {
    const { config, sessions, events } = this.deps;
    const sessionId = ctx.sessionId ?? req.sessionId ?? randomUUID();
    if (!isValidSessionId(sessionId)) {
      throw new ValidationError(
        'session_id must be 1-128 characters of letters, digits, ".", "_" or "-", starting with a letter or digit; omit it to start a new session.',
        { field: 'session_id' },
      );
    }
    if (config.provider.kind === 'none') throw new UnavailableError(NO_PROVIDER_MESSAGE, { code: 'no_model_provider' });
    if (this.closing) throw new UnavailableError('The service is shutting down; retry on its next start.', { code: 'shutting_down' });
    const { sandbox } = this.deps;
    if (sandbox.kind === 'unavailable') {
      throw new UnavailableError(`The run sandbox is unavailable: ${sandbox.reason}. ${SANDBOX_UNAVAILABLE_HINT}`, {
        code: 'sandbox_unavailable',
      });
    }
    const egress = this.egressOf(req);
    this.visibleSession(sessionId, ctx.ownerKeyId, { mayNotExist: true });
    if (this.active.has(sessionId)) {
      throw new ConflictError(`Session ${sessionId} is already running an invocation; wait for it to finish, or use another session_id.`);
    }
    const controller = new AbortController();
    // Throws BusyError at once when every slot and the queue are taken: nothing is recorded then.
    const slot = this.deps.slots.acquire(ctx.ownerKeyId, ctx.maxConcurrent ?? Number.POSITIVE_INFINITY, controller.signal);
    slot.catch(() => undefined); // Observed below; this keeps an early abort from being "unhandled".

    const invocationId = randomUUID();
    const run: ActiveRun = {
      invocationId,
      prompt: req.prompt,
      ownerKeyId: ctx.ownerKeyId,
      controller,
      egress,
      approvals: new Approvals({
        timeoutMs: req.approvalTimeoutMs,
        onRequest: (r) =>
          events.emit(sessionId, invocationId, {
            type: 'permission.request',
            data: { request_id: r.request_id, tool: r.tool, input: JSON.stringify(r.input), expires_at: r.expires_at },
          }),
        onDecision: (d) => events.emit(sessionId, invocationId, { type: 'permission.decision', data: d }),
      }),
    };
    this.active.set(sessionId, run);
    const doneActivity = this.deps.activity.begin();
    let firstEventId: number;
    try {
      sessions.startInvocation({
        sessionId,
        invocationId,
        startedAt: new Date(),
        prompt: req.prompt,
        request: req.raw,
        ownerKeyId: ctx.ownerKeyId,
        status: 'queued',
      });
      firstEventId = events.emit(sessionId, invocationId, { type: 'invocation.queued', data: { prompt: req.prompt } }).id;
      this.mirror(sessionId, run, 'queued', null);
    } catch (err) {
      this.active.delete(sessionId);
      controller.abort('cancelled');
      // A slot granted at once is not released by the abort: give it back.
      void slot.then(
        (release) => release(),
        () => undefined,
      );
      doneActivity();
      throw err;
    }
    const log = this.deps.logger.child({ session_id: sessionId, invocation_id: invocationId });
    const done = this.runQueued(req, ctx, { sessionId, run, slot, log }).finally(() => {
      // Normally done by complete(); this covers a fault before it.
      if (this.active.get(sessionId) === run) this.active.delete(sessionId);
      doneActivity();
    });
    return { sessionId, invocationId, firstEventId, done };
  }

  /** Stops the session's queued or running invocation; its files are stored and it ends `cancelled`. */
  cancel(sessionId: string, ownerKeyId: string | undefined): { invocationId: string } {
    this.visibleSession(sessionId, ownerKeyId);
    const run = this.active.get(sessionId);
    if (run === undefined) throw new ConflictError(`Nothing is running in session ${sessionId}.`);
    run.controller.abort('cancelled');
    return { invocationId: run.invocationId };
  }

  /** Answers a permission request of the session's running invocation. */
  answerPermission(
    sessionId: string,
    ownerKeyId: string | undefined,
    requestId: string,
    decision: 'allow' | 'deny',
    message?: string,
  ): void {
    this.visibleSession(sessionId, ownerKeyId);
    const result: AnswerResult = this.active.get(sessionId)?.approvals.answer(requestId, decision, message) ?? 'unknown';
    if (result === 'unknown') throw new NotFoundError(`No pending permission request ${requestId} in session ${sessionId}.`);
    if (result === 'already_answered') throw new ConflictError(`Permission request ${requestId} was already answered.`);
  }

  /** Whether the session has an invocation queued or running (event streams stay open while it does). */
  isActive(sessionId: string): boolean {
    return this.active.has(sessionId);
  }

  /** Aborts every run in progress (shutdown); each still stores its files and records its end. */
  cancelAll(): void {
    for (const run of this.active.values()) run.controller.abort('cancelled');
  }

  /** Refuses new invocations from now on (shutdown): a kept-alive connection cannot start one. */
  stopAccepting(): void {
    this.closing = true;
  }

  get activeRuns(): number {
    return this.active.size;
  }

  /** The hosts a run of `req` may reach (undefined: open); throws when the request asks for more, or cannot have any. */
  private egressOf(req: ValidInvocation): DomainPattern[] | undefined {
    let domains: DomainPattern[] | undefined;
    try {
      domains = runDomains(this.deps.config.egress, req.allowedDomains);
    } catch (err) {
      if (!(err instanceof EgressNotAllowedError)) throw err;
      const allowed = err.deployment.length > 0 ? err.deployment.join(', ') : 'no host but the model endpoint';
      throw new ValidationError(`${err.message} This deployment allows: ${allowed}.`, {
        field: 'allowed_domains',
        allowed: err.deployment,
      });
    }
    if (domains === undefined) return undefined;
    const { sandbox } = this.deps;
    if (sandbox.kind === 'off') {
      throw new ValidationError(
        'allowed_domains needs the run sandbox, and this service runs without one (--no-sandbox / CCA_SANDBOX=off, as in the AgentCore image, ' +
          'where each session has its own microVM). Remove allowed_domains, or send the task to a service that runs its sandbox.',
        { field: 'allowed_domains' },
      );
    }
    if (sandbox.kind === 'bwrap' && !sandbox.network) {
      throw new UnavailableError(
        'Runs with an egress allowlist need a network namespace of their own, which bubblewrap cannot create on this machine ' +
          '(a container without that permission?). Remove allowed_domains, or run the service where network namespaces work.',
        { code: 'egress_unavailable' },
      );
    }
    return domains;
  }

  /** Throws 404 when the session belongs to another key (or, unless allowed, does not exist). */
  private visibleSession(sessionId: string, ownerKeyId: string | undefined, opts: { mayNotExist?: boolean } = {}): void {
    const existing = this.deps.sessions.getSession(sessionId);
    // Another key's session is indistinguishable from one that does not exist.
    const foreign = existing !== undefined && ownerKeyId !== undefined && existing.owner_key_id !== ownerKeyId;
    if (foreign || (existing === undefined && !opts.mayNotExist)) {
      throw new NotFoundError(`Session ${sessionId} was not found; omit session_id to start a new session.`);
    }
  }

  /** Waits for the slot, runs, stores, records: the whole life of a queued invocation. */
  private async runQueued(
    req: ValidInvocation,
    ctx: InvokeContext,
    q: { sessionId: string; run: ActiveRun; slot: Promise<() => void>; log: Logger },
  ): Promise<InvocationOutput> {
    const { sessionId, run, log } = q;
    let release: () => void;
    try {
      release = await q.slot;
    } catch {
      // Cancelled while queued: it never ran, so there is nothing to store.
      const nothing = { requestedModel: undefined, prefix: '', uploaded: [], skipped: [], failed: [] };
      return this.finish(sessionId, run, outcomeWithoutRun('cancelled', 'Cancelled before it started; nothing ran.'), new Date(), nothing);
    }
    try {
      return await this.execute(req, ctx, sessionId, run, log);
    } catch (err) {
      // Never leave an invocation "running" in the record because of a fault of ours.
      log.error({ err }, 'invocation failed inside the service');
      try {
        this.deps.sessions.finishInvocation({
          sessionId,
          invocationId: run.invocationId,
          status: 'failed',
          endedAt: new Date(),
          output: { error: String(err) },
          costUsd: 0,
          claudeSessionId: undefined,
        });
        forgetRunSnapshot(this.sessionsRoot, sessionId, run.invocationId);
      } catch (recordErr) {
        // The record stays unfinished: the next start recovers it from its snapshot.
        log.error({ err: recordErr }, 'could not record the failed invocation');
      } finally {
        // Event streams wait for this event: it must come whatever the database did.
        this.complete(sessionId, run, 'failed', null);
      }
      throw err;
    } finally {
      release();
    }
  }

  /** The run itself, then storing what it produced. */
  private async execute(
    req: ValidInvocation,
    ctx: InvokeContext,
    sessionId: string,
    run: ActiveRun,
    log: Logger,
  ): Promise<InvocationOutput> {
    const { config, sessions, store, events } = this.deps;
    const { invocationId } = run;
    const startedAt = new Date();
    const workspace = await ensureWorkspace(this.sessionsRoot, sessionId);
    const home = path.join(this.sessionsRoot, sessionId, 'home');
    const tmpdir = path.join(this.sessionsRoot, sessionId, 'tmp');
    await Promise.all([fs.mkdir(home, { recursive: true, mode: 0o700 }), fs.mkdir(tmpdir, { recursive: true, mode: 0o700 })]);
    const before = await takeSnapshot(workspace, config.limits);
    // Kept until the end is recorded: after a crash, the next start stores what the run changed.
    await saveSnapshot(runSnapshotFile(this.sessionsRoot, sessionId, invocationId), before);
    sessions.markRunning(invocationId, startedAt);
    const resume = sessions.getSession(sessionId)?.claude_session_id ?? undefined;
    events.emit(sessionId, invocationId, { type: 'invocation.started', data: { resumed: resume !== undefined } });
    this.mirror(sessionId, run, 'running', null);
    log.info({ resume: resume !== undefined, tools: req.tools, mode: req.permissionMode }, 'invocation started');

    const model = req.model ?? config.model ?? config.provider.defaultModel;
    const usage = newUsageState();
    const egress =
      run.egress === undefined
        ? undefined
        : await openRunEgress(run.egress, config.provider, (host, port) => {
            log.info({ host, port }, 'egress refused');
            events.emit(sessionId, invocationId, { type: 'egress.denied', data: { host, port } });
          });
    let outcome: RunOutcome;
    try {
      outcome = await runAgent(
        {
          prompt: req.prompt,
          permissionMode: req.permissionMode,
          tools: req.tools,
          maxTurns: req.maxTurns,
          maxBudgetUsd: req.maxBudgetUsd,
          timeoutMs: req.timeoutMs,
          model,
          resume,
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
            modelTimeoutMs: config.modelTimeoutMs,
            clientApp: CLIENT_APP,
          }),
          abortController: run.controller,
          claudePath: config.claudePath,
          sandbox: sandboxForRun(this.deps.sandbox, { dataDir: config.dataDir, home, tmp: tmpdir }, egress?.sandbox),
          stderr: (line) => log.debug({ stderr: line.trimEnd() }, 'claude stderr'),
          // Only `serve` has the route that answers approvals; on the bare runtime they are denied at once.
          ...(config.mode === 'serve'
            ? {
                approver: (tool: string, input: Record<string, unknown>, signal: AbortSignal) => run.approvals.request(tool, input, signal),
              }
            : {}),
        },
        {
          onMessage: (message) => {
            for (const draft of eventsFromSdkMessage(message, usage)) events.emit(sessionId, invocationId, draft);
          },
        },
      );
    } finally {
      await egress?.close().catch((err: unknown) => log.warn({ err }, 'could not close the egress proxy'));
    }

    // Store what this invocation produced, however the run ended.
    const prefix = outputPrefix(startedAt, invocationId);
    const upload = await storeChanges({
      store,
      outbox: this.deps.outbox,
      workspace,
      before,
      limits: config.limits,
      prefix,
      baseUrl: ctx.baseUrl,
      sessionId,
      invocationId,
      onStored: (file) =>
        events.emit(sessionId, invocationId, {
          type: 'file.stored',
          data: { file_name: file.file_name, size: file.size, key: file.key, download_url: file.download_url },
        }),
    });
    const output = this.finish(sessionId, run, outcome, startedAt, {
      requestedModel: model,
      prefix,
      uploaded: upload.uploaded,
      skipped: upload.skipped,
      failed: upload.failed,
      egress: egress?.report(),
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

  /** Records how the invocation ended and emits its last event. */
  private finish(
    sessionId: string,
    run: ActiveRun,
    outcome: RunOutcome,
    startedAt: Date,
    stored: Pick<Parameters<typeof buildOutput>[0], 'requestedModel' | 'prefix' | 'uploaded' | 'skipped' | 'failed' | 'egress'>,
  ): InvocationOutput {
    const endedAt = new Date();
    const output = buildOutput({ sessionId, invocationId: run.invocationId, startedAt, endedAt, outcome, ...stored });
    const status = statusOf(outcome);
    this.deps.sessions.finishInvocation({
      sessionId,
      invocationId: run.invocationId,
      status,
      endedAt,
      output,
      costUsd: outcome.costUsd,
      claudeSessionId: outcome.claudeSessionId,
    });
    forgetRunSnapshot(this.sessionsRoot, sessionId, run.invocationId);
    this.complete(sessionId, run, status, output);
    return output;
  }

  /**
   * The session stops being active and the last event is emitted in one synchronous step: an event
   * stream that sees the completion and then asks `isActive()` must get false, or it would wait on.
   */
  private complete(
    sessionId: string,
    run: ActiveRun,
    status: EventPayload<'invocation.completed'>['status'],
    output: InvocationOutput | null,
  ): void {
    if (this.active.get(sessionId) === run) this.active.delete(sessionId);
    this.deps.events.emit(sessionId, run.invocationId, { type: 'invocation.completed', data: { status, output } });
    this.mirror(sessionId, run, status, output);
  }

  /**
   * Writes the session's state to the mirror, one write at a time per session so a late write
   * never overwrites a newer state. Failures are logged: the record in SQLite stays the truth here.
   */
  private mirror(sessionId: string, run: ActiveRun, status: InvocationStatus, output: InvocationOutput | null): void {
    const record = {
      session_id: sessionId,
      owner: run.ownerKeyId ?? null,
      invocation_id: run.invocationId,
      status,
      prompt: run.prompt,
      updated_at: new Date().toISOString(),
      output,
    };
    const previous = this.mirrorWrites.get(sessionId) ?? Promise.resolve();
    const next = previous
      .then(() => this.deps.state.put(record))
      .catch((err: unknown) => this.deps.logger.warn({ err, session_id: sessionId, status }, 'could not mirror session state'));
    this.mirrorWrites.set(sessionId, next);
    void next.finally(() => {
      if (this.mirrorWrites.get(sessionId) === next) this.mirrorWrites.delete(sessionId);
    });
  }

  /** Resolves once every state write started so far has landed (tests, shutdown). */
  async mirrorsSettled(): Promise<void> {
    await Promise.all([...this.mirrorWrites.values()]);
  }
}
