/**
 * How a run ended, in the service's terms, derived from the SDK's messages.
 */
import type { SDKMessage, SDKResultMessage } from '@anthropic-ai/claude-agent-sdk';
import type { StopReason, TokenUsage } from '../schemas/responses.js';
import type { PermissionDenial } from './permissions.js';

// Why the run stopped (`completed` is the only reason that can mean success) and the tokens it
// used are public API shapes: their one source is src/api/schemas.ts.
export type { StopReason, TokenUsage };

export interface RunOutcome {
  success: boolean;
  /** The agent's final answer, or what went wrong. */
  result: string;
  stopReason: StopReason;
  /** The model Claude Code actually used (from its init message). */
  model: string | undefined;
  /** Claude Code's own session id, for resuming the conversation. */
  claudeSessionId: string | undefined;
  numTurns: number;
  durationMs: number;
  costUsd: number;
  /** Whether `costUsd` and `usage` are Claude Code's own figures (its result message came). */
  costReported: boolean;
  usage: TokenUsage;
  errors: string[];
  permissionDenials: PermissionDenial[];
}

/**
 * A limit the run went over, as its controller's abort reason: a resource limit (src/limits), or
 * its budget by the service's meter (a run whose model calls passed it without Claude Code stopping).
 */
export interface LimitStop {
  stopReason: Extract<StopReason, 'memory_limit' | 'process_limit' | 'disk_limit' | 'max_budget'>;
  /** What the outcome reports, e.g. "Stopped: the run went over its memory limit of 256 MB ...". */
  message: string;
}

/** Whether an abort reason is a limit stop. */
export function isLimitStop(reason: unknown): reason is LimitStop {
  const stop = reason as Partial<LimitStop> | null;
  return (
    typeof stop === 'object' &&
    stop !== null &&
    typeof stop.message === 'string' &&
    (stop.stopReason === 'memory_limit' ||
      stop.stopReason === 'process_limit' ||
      stop.stopReason === 'disk_limit' ||
      stop.stopReason === 'max_budget')
  );
}

/**
 * The outcome of a run that went over a limit, from what it did until then: a limit found after the
 * run ended by itself (Claude Code killed by the OOM killer, say) still names the limit.
 * @example outcome = stoppedByLimit(outcome, { stopReason: 'memory_limit', message })
 */
export function stoppedByLimit(outcome: RunOutcome, stop: LimitStop): RunOutcome {
  return { ...outcome, success: false, stopReason: stop.stopReason, result: stop.message, errors: [...outcome.errors, stop.message] };
}

const ZERO_USAGE: TokenUsage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

/** Accumulates what a run's messages say, so an outcome exists even if the stream breaks off. */
export class OutcomeBuilder {
  private model: string | undefined;
  private claudeSessionId: string | undefined;
  private lastText = '';
  private resultMessage: SDKResultMessage | undefined;
  private readonly apiErrors: string[] = [];

  constructor(private readonly startedAt: number) {}

  /** Feeds one SDK message. */
  observe(message: SDKMessage): void {
    if (message.type === 'system' && message.subtype === 'init') {
      this.model = message.model;
      this.claudeSessionId = message.session_id;
    } else if (message.type === 'assistant') {
      const text = message.message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
      if (text !== '') this.lastText = text;
      if (message.error !== undefined) this.apiErrors.push(`${message.error}: ${text || 'model request failed'}`);
    } else if (message.type === 'result') {
      this.resultMessage = message;
      this.claudeSessionId = message.session_id;
    }
  }

  /** The outcome, given how the stream ended: normally, aborted for a reason, or with an exception. */
  build(
    end: { abortReason?: 'timeout' | 'cancelled' | LimitStop; thrown?: unknown; timeoutMs: number },
    denials: PermissionDenial[],
  ): RunOutcome {
    const r = this.resultMessage;
    const base = {
      model: this.model,
      claudeSessionId: this.claudeSessionId,
      numTurns: r?.num_turns ?? 0,
      durationMs: Date.now() - this.startedAt,
      costUsd: r?.total_cost_usd ?? 0,
      costReported: r !== undefined,
      usage: r ? runUsage(r) : { ...ZERO_USAGE },
      permissionDenials: mergeDenials(denials, r?.permission_denials ?? []),
    };
    if (end.abortReason === 'timeout') {
      const message = `Timed out after ${Math.round(end.timeoutMs / 1000)} s; files written so far were stored.`;
      return { ...base, success: false, stopReason: 'timeout', result: message, errors: [message] };
    }
    if (isLimitStop(end.abortReason)) {
      const message = end.abortReason.message;
      return { ...base, success: false, stopReason: end.abortReason.stopReason, result: message, errors: [message] };
    }
    if (end.abortReason === 'cancelled') {
      const message = 'Cancelled; files written so far were stored.';
      return { ...base, success: false, stopReason: 'cancelled', result: message, errors: [message] };
    }
    if (r === undefined) {
      const cause = end.thrown instanceof Error ? end.thrown.message : String(end.thrown ?? 'no result');
      const errors = [...this.apiErrors, `Claude Code ended without a result: ${cause}`];
      return { ...base, success: false, stopReason: 'error', result: errors.join('\n'), errors };
    }
    if (r.subtype === 'success') {
      const failed = r.is_error || this.apiErrors.length > 0;
      return {
        ...base,
        success: !failed,
        stopReason: failed ? 'error' : 'completed',
        result: r.result || this.lastText,
        errors: failed ? (this.apiErrors.length > 0 ? [...this.apiErrors] : [r.result]) : [],
      };
    }
    const stopReason: StopReason =
      r.subtype === 'error_max_turns' ? 'max_turns' : r.subtype === 'error_max_budget_usd' ? 'max_budget' : 'error';
    const errors = [...this.apiErrors, ...r.errors, ...(r.errors.length === 0 ? [describeLimit(stopReason)] : [])];
    return { ...base, success: false, stopReason, result: errors.join('\n'), errors };
  }
}

/** Our recorded denials (with reasons) plus any Claude Code refused on its own, e.g. in dontAsk. */
function mergeDenials(ours: PermissionDenial[], sdk: { tool_name: string; tool_use_id: string }[]): PermissionDenial[] {
  const seen = new Set(ours.map((d) => d.tool_use_id));
  const extra = sdk
    .filter((d) => !seen.has(d.tool_use_id))
    .map((d) => ({
      tool_name: d.tool_name,
      tool_use_id: d.tool_use_id,
      reason: 'Denied by Claude Code: not pre-approved in this permission mode.',
    }));
  return [...ours, ...extra];
}

function describeLimit(reason: StopReason): string {
  if (reason === 'max_turns') return 'Stopped: reached max_turns before finishing.';
  if (reason === 'max_budget') return 'Stopped: reached max_budget_usd before finishing.';
  return 'Claude Code reported an error during execution.';
}

/**
 * The tokens of the whole run: the sum of `modelUsage` (every model call, subagents and Claude
 * Code's own helper calls included, the calls `total_cost_usd` prices); `usage` (the main loop's
 * only, and short of the last call when a budget stopped the run) when a result lacks it.
 */
function runUsage(r: SDKResultMessage): TokenUsage {
  const models = Object.values(r.modelUsage ?? {});
  if (models.length === 0) return pickUsage(r.usage);
  const sum = { ...ZERO_USAGE };
  for (const m of models) {
    sum.input_tokens += m.inputTokens ?? 0;
    sum.output_tokens += m.outputTokens ?? 0;
    sum.cache_creation_input_tokens += m.cacheCreationInputTokens ?? 0;
    sum.cache_read_input_tokens += m.cacheReadInputTokens ?? 0;
  }
  return sum;
}

function pickUsage(u: {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}): TokenUsage {
  return {
    input_tokens: u.input_tokens ?? 0,
    output_tokens: u.output_tokens ?? 0,
    cache_creation_input_tokens: u.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: u.cache_read_input_tokens ?? 0,
  };
}

/** The outcome of an invocation that ended without a run to speak of (cancelled while queued, lost in a crash). */
export function outcomeWithoutRun(stopReason: StopReason, message: string): RunOutcome {
  return {
    success: false,
    result: message,
    stopReason,
    model: undefined,
    claudeSessionId: undefined,
    numTurns: 0,
    durationMs: 0,
    costUsd: 0,
    costReported: false,
    usage: { ...ZERO_USAGE },
    errors: [message],
    permissionDenials: [],
  };
}
