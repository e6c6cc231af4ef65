/**
 * Invocations from request to result: the session is reserved, the invocation recorded as queued,
 * then it waits for a run slot, runs, and stores what it produced. Whatever way the run ends
 * (success, error, limit, timeout, cancel), its files are stored and its last event is recorded.
 * Callers either wait for the result (sync) or leave with the ids (async); the run is the same.
 *
 * This class is the facade routes hold: it keeps the active run of each session and wires the
 * jobs together; admission (admission.ts), the run (run-invocation.ts) and the state mirror's
 * writes (state-writer.ts) are their own files.
 */
import { randomUUID } from 'node:crypto';
import type { Context, Span } from '@opentelemetry/api';
import type { RunResources } from '../config/index.js';
import { BudgetExceededError, BudgetHeldError, ConflictError, NotFoundError, UnavailableError, ValidationError } from '../errors/index.js';
import type { ValidInvocation } from '../http/invocation-request.js';
import type { Logger } from '../logging/index.js';
import { activeContext, inSpan, traceIdOf } from '../tracing/index.js';
import type { McpHub, McpPlan, McpSelection } from '../mcp/index.js';
import type { Activity } from './activity.js';
import { stateRecord, type ActiveRun } from './active-run.js';
import { admitRequest, admitToSession, assertVisible } from './admission.js';
import { Approvals, type AnswerResult } from './approvals.js';
import { admitGit, type KeyCredentials } from './git-admission.js';
import type { InvocationOutput } from './output.js';
import { runInvocation, type RunDeps } from './run-invocation.js';
import type { RunSlots } from './slots.js';
import { claimSession, withSessionHeld } from './session-state.js';
import { assertStorageRoom } from './storage-quota.js';
import type { Subscription, Webhooks } from '../webhooks/index.js';
import { admitBudget, meterFor, type RunBudget, type SpendDeps } from './key-budget.js';
import type { KeyBudgets } from '../usage/index.js';
import type { WarmAgent } from './warm-agent.js';
import { takeWarm } from './warm-admission.js';

/** What the service needs: what a run needs (run-invocation.ts), plus its slots, activity and log. */
export interface ServiceDeps extends RunDeps {
  /** The operator's MCP servers and their connections; undefined: MCP is off. */
  mcp?: McpHub | undefined;
  /** Credentials the operator registered per key for git hosts; undefined: none. */
  keyCredentials?: KeyCredentials | undefined;
  /** Which webhook a request gets, and where it is recorded; undefined: requests with a webhook are refused. */
  webhooks?: Pick<Webhooks, 'resolve' | 'subscribe'> | undefined;
  activity: Activity;
  slots: RunSlots;
  logger: Logger;
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
  /** What the run may use; default: the server's per-run limits. */
  resources?: RunResources | undefined;
  /** The key's limit on runs waiting for a slot; null or undefined: the server's CCA_MAX_QUEUED_PER_KEY. */
  maxQueued?: number | null | undefined;
  /** The key's budgets per UTC day and month (null: none); undefined: none. */
  budgets?: KeyBudgets | undefined;
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

/** Runs invocations; one at a time per session, within the run slots. */
export class InvocationService {
  private readonly active = new Map<string, ActiveRun>();
  /** Sessions receiving files (uploads): no run starts there until the files are in. */
  private readonly receiving = new Set<string>();
  private closing = false;

  constructor(private readonly deps: ServiceDeps) {}

  /** Runs one invocation to its end and returns the output (the synchronous API). */
  async invoke(req: ValidInvocation, ctx: InvokeContext): Promise<InvocationOutput> {
    return (await this.start(req, ctx)).done;
  }

  /**
   * Checks the request against the session and capacity (4xx/503 are thrown here, before anything
   * is recorded), records the invocation as queued, and runs it in the background.
   */
  async start(req: ValidInvocation, ctx: InvokeContext): Promise<StartedInvocation> {
    // The invocation's span is the request's child, beside admission's rather than inside it.
    const request = activeContext();
    const keyAttribute = ctx.ownerKeyId === undefined ? {} : { 'cca.key_id': ctx.ownerKeyId };
    return inSpan(this.deps.tracer, 'admission', keyAttribute, (span) => this.#admit(req, ctx, span, request));
  }

  async #admit(req: ValidInvocation, ctx: InvokeContext, span: Span, request: Context): Promise<StartedInvocation> {
    const { config } = this.deps;
    const admitted = admitRequest(req, ctx, { config, sandbox: this.deps.sandbox, closing: this.closing });
    const { egress, inputs, mcp: mcpSelection } = admitted;
    const isNew = ctx.sessionId === undefined && req.sessionId === undefined;
    // A session id that a warm agent holds is nobody's to name.
    if (!isNew && this.deps.warm?.holds(admitted.sessionId)) throw reservedSession(admitted.sessionId);
    const webhook = this.#webhookOf(req, ctx);
    // A new session may take a warm agent: it then gets the agent's session id (its folders are ready).
    // Not for a run that a key budget could cap below the agent's, or that would wait behind its own
    // key's runs: the agent would be a start for nothing, or held while others miss.
    const warm = isNew && this.deps.warm?.enabled === true ? this.#takeWarm(req, ctx, admitted) : undefined;
    const lease: WarmLease = { warm, settled: false, seenElsewhere: false };
    try {
      return await this.#admitTo(warm?.sessionId ?? admitted.sessionId, isNew, { req, ctx, span, request, webhook, admitted, lease });
    } catch (err) {
      // Refused before anything was recorded: the agent was never used (#begin answers for it once it has it).
      if (warm !== undefined && !lease.settled) this.#returnWarm(warm, lease.seenElsewhere);
      throw err;
    }
  }

  async #admitTo(
    sessionId: string,
    isNew: boolean,
    a: {
      req: ValidInvocation;
      ctx: InvokeContext;
      span: Span;
      request: Context;
      webhook: Subscription | undefined;
      admitted: ReturnType<typeof admitRequest>;
      lease: WarmLease;
    },
  ): Promise<StartedInvocation> {
    const { config, sessions } = this.deps;
    const { req, ctx, span, admitted, lease } = a;
    const { egress, inputs, mcp: mcpSelection } = admitted;
    span.setAttribute('session.id', sessionId);
    if (lease.warm !== undefined) span.setAttribute('cca.warm_start', true);
    // Another key's session stays invisible, whatever the git checks would say of it.
    assertVisible(sessionId, ctx.ownerKeyId, sessions.getSession(sessionId), { mayNotExist: true });
    const invocationId = randomUUID();
    span.setAttribute('cca.invocation_id', invocationId);
    // A run here already: 409 without asking the session store.
    admitToSession(sessionId, ctx.ownerKeyId, { existing: sessions.getSession(sessionId), active: this.active.has(sessionId) });
    // The session's lease in the session store (a round trip): 409 while another worker has it, and
    // the saved record taken in (so the git checks below know a session saved elsewhere). Once asked,
    // the store may have seen the id, whatever the answer.
    lease.seenElsewhere = this.deps.durable !== undefined;
    const { claim, unsaved } = await claimSession(
      this.deps,
      config.sessionsBase,
      { sessionId, invocationId, ownerKeyId: ctx.ownerKeyId, isNew },
      this.deps.logger,
    );

    try {
      // Asks the remote (a round trip): before the checks of #begin, which must run with no await after them.
      const git = await admitGit(
        config,
        req,
        sessionId,
        sessions.getSession(sessionId) !== undefined,
        ctx.ownerKeyId,
        this.deps.keyCredentials,
        claim?.head?.repository ?? undefined,
      );
      // A request's own servers are resolved and pinned, and named tools checked (round trips too).
      const mcp = await this.#admitMcp(mcpSelection);
      return this.#begin(req, ctx, { sessionId, invocationId, egress, inputs, git, claim, unsaved, mcp }, a.request, a.webhook, lease);
    } catch (err) {
      void claim?.lease.release();
      throw err;
    }
  }

  /**
   * Takes a warm agent for a new session unless its run could be capped (a key budget) or held
   * behind its own key's runs. A refusal found later (storage quota, a full queue) gives the agent
   * back untouched: no start is lost, and no hit counted.
   */
  #takeWarm(req: ValidInvocation, ctx: InvokeContext, admitted: ReturnType<typeof admitRequest>): WarmAgent | undefined {
    const budgets = ctx.budgets;
    return takeWarm(
      this.deps.warm,
      {
        req,
        isNew: true,
        egress: admitted.egress,
        inputs: admitted.inputs !== undefined,
        mcp: admitted.mcp.servers.length > 0,
        resources: ctx.resources,
        keyBudget: this.deps.spend !== undefined && budgets !== undefined && (budgets.dayUsd !== null || budgets.monthUsd !== null),
        // Behind its own key's runs it could hold an agent for long, while other keys' requests miss;
        // behind a busy service everyone waits alike, and its agent hides its start when the slot comes.
        wouldWait: this.deps.slots.waitingFor(ctx.ownerKeyId, ctx.maxConcurrent ?? Number.POSITIVE_INFINITY) === 'key_max_concurrent',
      },
      this.deps.config,
    );
  }

  /**
   * A warm agent taken for a request that was then refused: back to the pool, untouched, unless the
   * session store has seen its id (a lease was taken on it), in which case it is ended.
   */
  #returnWarm(warm: WarmAgent, seenElsewhere: boolean): void {
    if (this.deps.warm === undefined) void warm.discard();
    else this.deps.warm.giveBack(warm, warm.shape, !seenElsewhere);
  }

  /** A taken agent the run will not use: ended, its session keeps the folders, the pool may replace it. */
  #endWarm(warm: WarmAgent): void {
    void warm.abandon().finally(() => this.deps.warm?.release(warm));
  }

  async #admitMcp(selection: McpSelection): Promise<McpPlan | undefined> {
    if (selection.servers.length === 0) return undefined;
    if (this.deps.mcp === undefined)
      throw new UnavailableError('This service runs without MCP; send the request without mcp_servers.', { code: 'mcp_unavailable' });
    return this.deps.mcp.admit(selection);
  }

  #begin(
    req: ValidInvocation,
    ctx: InvokeContext,
    admitted: Pick<ActiveRun, 'sessionId' | 'invocationId' | 'egress' | 'inputs' | 'git' | 'claim' | 'unsaved' | 'mcp'>,
    request: Context,
    webhook: Subscription | undefined,
    lease: WarmLease,
  ): StartedInvocation {
    const { config, sessions, events } = this.deps;
    const { sessionId, invocationId, egress, inputs, git, claim, unsaved, mcp } = admitted;
    admitToSession(sessionId, ctx.ownerKeyId, { existing: sessions.getSession(sessionId), active: this.active.has(sessionId) });
    if (this.receiving.has(sessionId)) {
      throw new ConflictError(`Session ${sessionId} is receiving files (an upload); start the invocation once the upload has answered.`);
    }
    assertStorageRoom(this.deps.storage, ctx.ownerKeyId);
    // 402 or 429 when the key's budget is spent or held; else the run holds what it is given from here on.
    const budget = this.#admitBudget({
      invocationId,
      keyId: ctx.ownerKeyId,
      sessionId,
      budgets: ctx.budgets,
      requestedUsd: req.maxBudgetUsd,
    });
    const forgetBudget = () => {
      if (budget !== undefined) this.deps.spend?.ledger.forget(invocationId);
    };
    const controller = new AbortController();
    let slot: Promise<() => void>;
    // Asked just before acquiring (nothing runs in between): the first event says whether the run waits, and why.
    const waiting = this.deps.slots.waitingFor(ctx.ownerKeyId, ctx.maxConcurrent ?? Number.POSITIVE_INFINITY);
    try {
      // Throws at once when the key's share of the queue (429) or the queue (503) is full: nothing is recorded then.
      slot = this.deps.slots.acquire(
        ctx.ownerKeyId,
        ctx.maxConcurrent ?? Number.POSITIVE_INFINITY,
        controller.signal,
        ctx.maxQueued ?? config.maxQueuedPerKey,
      );
    } catch (err) {
      forgetBudget();
      throw err;
    }
    slot.catch(() => undefined); // Observed by the run; this keeps an early abort from being "unhandled".
    // From here the run answers for its warm agent. One started with a larger budget than the key
    // has left cannot serve it: the session keeps the agent's folders and its run starts cold.
    lease.settled = true;
    let warm = lease.warm;
    if (warm !== undefined && budget !== undefined && budget.capUsd !== warm.shape.maxBudgetUsd) {
      this.#endWarm(warm);
      warm = undefined;
    }

    const run: ActiveRun = {
      sessionId,
      invocationId,
      prompt: req.prompt,
      ownerKeyId: ctx.ownerKeyId,
      controller,
      egress,
      resources: ctx.resources ?? config.runResources,
      git,
      inputs,
      claim,
      unsaved,
      mcp,
      budget,
      meter: meterFor(this.deps.spend, invocationId, budget, req.maxBudgetUsd),
      warm,
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
      // Before the first event: every event of the invocation finds its webhook.
      if (webhook !== undefined) this.deps.webhooks?.subscribe(sessionId, invocationId, ctx.ownerKeyId, webhook);
      firstEventId = events.emit(sessionId, invocationId, {
        type: 'invocation.queued',
        data: { prompt: req.prompt, ...(waiting === undefined ? {} : { waiting }) },
      }).id;
      this.deps.states.write(stateRecord(run, 'queued', null));
    } catch (err) {
      this.active.delete(sessionId);
      forgetBudget();
      controller.abort('cancelled');
      // Nothing may be left of an agent whose session could not be recorded.
      if (warm !== undefined) this.#returnWarm(warm, true);
      // A slot granted at once is not released by the abort: give it back.
      void slot.then(
        (release) => release(),
        () => undefined,
      );
      doneActivity();
      throw err;
    }
    const deactivate = () => {
      if (this.active.get(sessionId) === run) this.active.delete(sessionId);
    };
    // The run's own budget: what the request asked for, or what was left of the key's when less.
    const granted = budget === undefined ? req : { ...req, maxBudgetUsd: budget.capUsd };
    const attributes = {
      'session.id': sessionId,
      'cca.invocation_id': invocationId,
      ...(ctx.ownerKeyId === undefined ? {} : { 'cca.key_id': ctx.ownerKeyId }),
      ...(req.model !== undefined ? { 'gen_ai.request.model': req.model } : {}),
    };
    const traced = (span: Span) => {
      const traceId = traceIdOf(span);
      const log = this.deps.logger.child({ session_id: sessionId, invocation_id: invocationId, ...(traceId ? { trace_id: traceId } : {}) });
      return runInvocation(this.deps, { run, req: granted, baseUrl: ctx.baseUrl, slot, log, deactivate, span });
    };
    const done = inSpan(this.deps.tracer, 'invocation', attributes, traced, request).finally(() => {
      // Normally done when the last event is emitted; this covers a fault before it.
      deactivate();
      doneActivity();
    });
    return { sessionId, invocationId, firstEventId, done };
  }

  /** The key's budget decision; a refusal is counted in the metrics before it is thrown. */
  #admitBudget(run: Parameters<typeof admitBudget>[1]): RunBudget | undefined {
    try {
      return admitBudget(this.deps.spend, run);
    } catch (err) {
      if (err instanceof BudgetExceededError || err instanceof BudgetHeldError) {
        this.deps.metrics?.budgetRefused(run.keyId, String(err.details.limit), err instanceof BudgetExceededError ? 'exceeded' : 'held');
      }
      throw err;
    }
  }

  /** The request's webhook (or its key's default), checked: 400 before anything is recorded. */
  #webhookOf(req: ValidInvocation, ctx: InvokeContext): Subscription | undefined {
    if (this.deps.webhooks === undefined) {
      if (req.webhook === undefined || req.webhook === null) return undefined;
      throw new ValidationError('webhook: this service does not send webhooks; omit the field.', { field: 'webhook' });
    }
    return this.deps.webhooks.resolve(req.webhook, ctx.ownerKeyId, ctx.baseUrl);
  }

  /** Stops the session's queued or running invocation; its files are stored and it ends `cancelled`. */
  cancel(sessionId: string, ownerKeyId: string | undefined): { invocationId: string } {
    assertVisible(sessionId, ownerKeyId, this.deps.sessions.getSession(sessionId));
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
    assertVisible(sessionId, ownerKeyId, this.deps.sessions.getSession(sessionId));
    const result: AnswerResult = this.active.get(sessionId)?.approvals.answer(requestId, decision, message) ?? 'unknown';
    if (result === 'unknown') throw new NotFoundError(`No pending permission request ${requestId} in session ${sessionId}.`);
    if (result === 'already_answered') throw new ConflictError(`Permission request ${requestId} was already answered.`);
  }

  /**
   * Runs `work` (an upload writing into the session's workspace) while no invocation may start in
   * the session; 409 when one is queued or running, or another upload is under way.
   * @example await service.whileIdle(sessionId, () => uploadToWorkspace(body, type, base, target));
   */
  async whileIdle<T>(sessionId: string, work: () => Promise<T>, ownerKeyId?: string): Promise<T> {
    if (this.deps.warm?.holds(sessionId)) throw reservedSession(sessionId);
    if (this.active.has(sessionId)) {
      throw new ConflictError(`Session ${sessionId} has an invocation queued or running; upload once it has finished (or cancel it).`);
    }
    if (this.receiving.has(sessionId))
      throw new ConflictError(`Session ${sessionId} is already receiving an upload; send the next one after it.`);
    this.receiving.add(sessionId);
    try {
      // With durable state: held against other workers, on the saved generation, and saved after.
      return await withSessionHeld(this.deps, this.deps.config.sessionsBase, { sessionId, ownerKeyId }, this.deps.logger, work);
    } finally {
      this.receiving.delete(sessionId);
    }
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

  /** Invocations queued or running now. */
  get activeRuns(): number {
    return this.active.size;
  }

  /** Resolves once every state write started so far has landed (tests, shutdown). */
  async mirrorsSettled(): Promise<void> {
    await this.deps.states.settled();
  }
}

/** The warm agent a request took at admission, and who answers for it if admission fails. */
interface WarmLease {
  warm: WarmAgent | undefined;
  /** #begin has it: it runs or ends it. */
  settled: boolean;
  /** The session store saw its id (a lease was taken on it): it cannot go back to the pool. */
  seenElsewhere: boolean;
}

/** A session id that a warm agent holds (nobody has been given it; guessing one is all but impossible). */
function reservedSession(sessionId: string): ConflictError {
  return new ConflictError(`Session ${sessionId} is in use; omit session_id to start a new session.`);
}
