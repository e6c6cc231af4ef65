/**
 * The one handler behind `POST /invocations` (AgentCore contract) and `POST /invoke` (public API):
 * validate, run, answer. The caller, when there is one, was set by the API key middleware.
 */
import type { Context } from 'hono';
import { REPOSITORY_ERROR_STATUS } from '../codebase/index.js';
import { bodyLimit } from 'hono/body-limit';
import type { Config, Limits, RunResources } from '../config/index.js';
import { ValidationError } from '../errors/index.js';
import type { AsyncAccepted } from '../schemas/control.js';
import type { SessionEvents } from '../events/index.js';
import { bodyTooLarge, isControlRequest, parseInvocation, parseJsonBody, SESSION_HEADER } from '../http/index.js';
import { controlAnswer } from './control-route.js';
import type { InvocationService } from './service.js';
import type { KeyBudgets } from '../usage/index.js';
import { sseResponse } from './sse.js';

/** The authenticated caller of a request, as the API key middleware leaves it. */
export interface Caller {
  keyId: string;
  maxConcurrent: number;
  /** Runs it may have waiting for a slot; null: the server's default. */
  maxQueued: number | null;
  /** The key's caps on one run (null: the server's maxima); resource caps absent: none. */
  caps: { maxTimeoutS: number | null; maxTurns: number | null; maxBudgetUsd: number | null } & Partial<ResourceCaps>;
  /** US dollars its runs may cost per UTC day and month (null: no limit); absent: none. */
  budgets?: KeyBudgets | undefined;
}

/** A key's caps on what one run may use (null: the server's CCA_RUN_* limit). */
export interface ResourceCaps {
  maxMemoryMb: number | null;
  maxPids: number | null;
  maxCpus: number | null;
  maxDiskMb: number | null;
  /** Caps on one upload into a session (null: CCA_UPLOAD_MAX_MB / CCA_UPLOAD_MAX_FILES). */
  maxUploadMb?: number | null;
  maxUploadFiles?: number | null;
}

/**
 * The server's per-run resources lowered by a key's caps.
 * @example resourcesFor({ memoryMb: 1024, pids: 512, cpus: 1, diskMb: 2048 }, caller) // memoryMb 256 for a key capped at 256
 */
export function resourcesFor(resources: RunResources, caller: Caller | undefined): RunResources {
  const caps = caller?.caps;
  const cap = (server: number, key: number | null | undefined) => (key === null || key === undefined ? server : Math.min(server, key));
  return {
    memoryMb: cap(resources.memoryMb, caps?.maxMemoryMb),
    pids: cap(resources.pids, caps?.maxPids),
    cpus: cap(resources.cpus, caps?.maxCpus),
    diskMb: cap(resources.diskMb, caps?.maxDiskMb),
  };
}

/** The server's limits narrowed by a key's caps: its maxima, and defaults no higher than them. */
export function limitsFor(limits: Limits, caller: Caller | undefined): Limits {
  if (caller === undefined) return limits;
  const cap = (serverMax: number, keyMax: number | null) => (keyMax === null ? serverMax : Math.min(serverMax, keyMax));
  const timeoutSLimit = cap(limits.timeoutSLimit, caller.caps.maxTimeoutS);
  const maxTurnsLimit = cap(limits.maxTurnsLimit, caller.caps.maxTurns);
  const budgetUsdLimit = cap(limits.budgetUsdLimit, caller.caps.maxBudgetUsd);
  return {
    ...limits,
    timeoutSLimit,
    maxTurnsLimit,
    budgetUsdLimit,
    defaultTimeoutS: Math.min(limits.defaultTimeoutS, timeoutSLimit),
    defaultMaxTurns: Math.min(limits.defaultMaxTurns, maxTurnsLimit),
    defaultBudgetUsd: Math.min(limits.defaultBudgetUsd, budgetUsdLimit),
  };
}

/** Hono environment of routes that may have a caller. */
export type CallerEnv = { Variables: { caller?: Caller } };

/** Body size limit answering 413 in the service's error format. */
export function invocationBodyLimit(config: Config) {
  return bodyLimit({
    maxSize: config.limits.maxBodyBytes,
    onError: () => {
      throw bodyTooLarge(config.limits.maxBodyBytes);
    },
  });
}

/**
 * Builds the invocation handler. Three ways to answer the same run: wait and return the output
 * (default), stream its events and end with the output (`Accept: text/event-stream`), or return
 * 202 with where to look (`"async": true` or `Prefer: respond-async`; needs the sessions routes).
 * With `controlAllowed` (`/invocations`, the only route AgentCore forwards), a `{"control": ...}`
 * body cancels or answers a permission request of the session instead.
 */
export function invocationHandler(deps: {
  config: Config;
  service: InvocationService;
  events: SessionEvents;
  asyncAllowed: boolean;
  controlAllowed?: boolean;
}) {
  const { config, service, events } = deps;
  return async (c: Context<CallerEnv>) => {
    const caller = c.get('caller');
    const body = parseJsonBody(await c.req.raw.text());
    if (deps.controlAllowed && isControlRequest(body)) return controlAnswer(c, body, service, caller?.keyId);
    const request = parseInvocation(body, limitsFor(config.limits, caller));
    const wantsAsync = request.async || /\brespond-async\b/i.test(c.req.header('prefer') ?? '');
    if (wantsAsync && !deps.asyncAllowed) {
      throw new ValidationError(
        'async needs the sessions API of `cca serve` to fetch the result; call without async, or stream with Accept: text/event-stream.',
        {
          field: 'async',
        },
      );
    }
    const origin = publicOrigin(config, c.req.url);
    const started = await service.start(request, {
      sessionId: c.req.header(SESSION_HEADER) || undefined,
      baseUrl: origin,
      ownerKeyId: caller?.keyId,
      maxConcurrent: caller?.maxConcurrent,
      resources: resourcesFor(config.runResources, caller),
      maxQueued: caller?.maxQueued,
      budgets: caller?.budgets,
    });
    const { sessionId, invocationId } = started;
    if (wantsAsync) {
      // Nobody awaits the result: it is recorded, and a fault of the service is logged by it.
      started.done.catch(() => undefined);
      const statusUrl = `${origin}/sessions/${encodeURIComponent(sessionId)}`;
      return c.json(
        {
          session_id: sessionId,
          invocation_id: invocationId,
          status: 'queued',
          status_url: statusUrl,
          events_url: `${statusUrl}/events`,
        } satisfies AsyncAccepted,
        202,
        { 'Preference-Applied': 'respond-async', Location: statusUrl },
      );
    }
    if (/\btext\/event-stream\b/.test(c.req.header('accept') ?? '')) {
      started.done.catch(() => undefined);
      const stream = events.stream(sessionId, {
        afterId: started.firstEventId - 1,
        isActive: () => service.isActive(sessionId),
        signal: c.req.raw.signal,
        untilInvocation: invocationId,
      });
      return sseResponse(c, stream, { 'X-Session-Id': sessionId, 'X-Invocation-Id': invocationId });
    }
    // A caller that hangs up does not stop the run: the result stays retrievable.
    const output = await started.done;
    // A repository that could not be cloned, or a saved session that could not be restored: say so in the status too.
    const failed = output.output.stop_reason === 'workspace_error' ? WORKSPACE_ERROR_STATUS[output.output.error_code ?? ''] : undefined;
    return failed === undefined ? c.json(output) : c.json(output, failed as 413);
  };
}

/** The status a synchronous caller gets for each `error_code` of a `workspace_error`. */
const WORKSPACE_ERROR_STATUS: Readonly<Record<string, number>> = {
  ...REPOSITORY_ERROR_STATUS,
  session_state_damaged: 422,
  session_store_unavailable: 502,
  session_restore_failed: 500,
};

/** The origin download links point at: the configured public URL, else the request's own. */
export function publicOrigin(config: Config, requestUrl: string): string {
  return config.publicUrl ?? new URL(requestUrl).origin;
}
