/**
 * Runs Claude Code once through the Agent SDK and reports how it ended. Never throws for anything
 * the agent or model does: failures become an outcome with `success: false`.
 */
import { query, type SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { buildSdkOptions, type RunContext, type RunSpec } from './options.js';
import { isLimitStop, OutcomeBuilder, type LimitStop, type RunOutcome } from './outcome.js';
import type { PermissionDenial } from './permissions.js';

export interface RunHooks {
  /** Sees every SDK message as it arrives (for live events). */
  onMessage?: (message: SDKMessage) => void;
}

/**
 * Runs one invocation to its end: completion, a limit, the wall-clock timeout or an abort. The
 * controller's abort reason says which: 'timeout', a `LimitStop` (a resource limit), else cancelled.
 * `controller` is the run's (the timeout aborts it); default: the SDK's own, `ctx.abortController`.
 */
export async function runAgent(
  spec: RunSpec,
  ctx: Omit<RunContext, 'denials'>,
  hooks: RunHooks = {},
  controller: AbortController = ctx.abortController,
): Promise<RunOutcome> {
  const denials: PermissionDenial[] = [];
  const open = () => query({ prompt: spec.prompt, options: buildSdkOptions(spec, { ...ctx, denials }) });
  return driveRun(open, { timeoutMs: spec.timeoutMs, controller, denials }, hooks);
}

/** How one run is watched: its timeout, the controller whose abort reason names how it stopped, its denials. */
export interface DriveOptions {
  timeoutMs: number;
  controller: AbortController;
  /** Filled by the run's `canUseTool` (see `buildSdkOptions`). */
  denials: PermissionDenial[];
}

/**
 * Reads the messages of a run until its result (or its end) and builds its outcome; `open` starts
 * it: `query()` for a new process, or the first message to one started earlier (src/warm).
 * @example const outcome = await driveRun(() => warm.query(prompt), { timeoutMs, controller, denials });
 */
export async function driveRun(open: () => AsyncIterable<SDKMessage>, run: DriveOptions, hooks: RunHooks = {}): Promise<RunOutcome> {
  const outcome = new OutcomeBuilder(Date.now());
  const { controller } = run;
  const timer = setTimeout(() => controller.abort('timeout'), run.timeoutMs);
  let thrown: unknown;
  try {
    for await (const message of open()) {
      outcome.observe(message);
      hooks.onMessage?.(message);
      // The result is the last word of a one-shot run; do not wait for stragglers.
      if (message.type === 'result') break;
    }
  } catch (err) {
    thrown = err;
  } finally {
    clearTimeout(timer);
  }
  const reason = controller.signal.aborted ? abortReason(controller.signal.reason) : undefined;
  return outcome.build({ ...(reason ? { abortReason: reason } : {}), thrown, timeoutMs: run.timeoutMs }, run.denials);
}

function abortReason(reason: unknown): 'timeout' | 'cancelled' | LimitStop {
  if (reason === 'timeout') return 'timeout';
  return isLimitStop(reason) ? reason : 'cancelled';
}
