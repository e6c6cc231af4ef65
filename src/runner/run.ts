/**
 * Runs Claude Code once through the Agent SDK's `query()` and reports how it ended. Never throws
 * for anything the agent or model does: failures become an outcome with `success: false`.
 */
import { query, type SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { buildSdkOptions, type RunContext, type RunSpec } from './options.js';
import { isLimitStop, OutcomeBuilder, type LimitStop, type RunOutcome } from './outcome.js';

export interface RunHooks {
  /** Sees every SDK message as it arrives (for live events). */
  onMessage?: (message: SDKMessage) => void;
}

/**
 * Runs one invocation to its end: completion, a limit, the wall-clock timeout or an abort. The
 * controller's abort reason says which: 'timeout', a `LimitStop` (a resource limit), else cancelled.
 */
export async function runAgent(spec: RunSpec, ctx: Omit<RunContext, 'denials'>, hooks: RunHooks = {}): Promise<RunOutcome> {
  const denials: RunContext['denials'] = [];
  const outcome = new OutcomeBuilder(Date.now());
  const controller = ctx.abortController;
  const timer = setTimeout(() => controller.abort('timeout'), spec.timeoutMs);
  let thrown: unknown;
  try {
    const stream = query({ prompt: spec.prompt, options: buildSdkOptions(spec, { ...ctx, denials }) });
    for await (const message of stream) {
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
  return outcome.build({ ...(reason ? { abortReason: reason } : {}), thrown, timeoutMs: spec.timeoutMs }, denials);
}

function abortReason(reason: unknown): 'timeout' | 'cancelled' | LimitStop {
  if (reason === 'timeout') return 'timeout';
  return isLimitStop(reason) ? reason : 'cancelled';
}
