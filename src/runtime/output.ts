/**
 * The response: the original sample's shape, unchanged, with the fields users need added.
 * `{"output": {success, result, session_id, timestamp, model, metadata: {duration_ms, num_turns, uploaded_files}}}`
 */
import type {
  EgressReport,
  InvocationOutput,
  InvocationStatus,
  McpReport,
  RunBudgetReport,
  SessionStateReport,
} from '../schemas/responses.js';
import type { Changes, PushResult, RepositoryInfo } from '../schemas/changes.js';
import type { FailedUpload, UploadedFile } from '../artifacts/index.js';
import type { RunOutcome } from '../runner/index.js';
import type { SkippedFile } from '../workspace/index.js';

/** The response body; its shape is `InvocationOutputSchema` in src/api/schemas.ts. */
export type { InvocationOutput };

/** Assembles the response of one finished invocation. */
export function buildOutput(input: {
  sessionId: string;
  invocationId: string;
  endedAt: Date;
  startedAt: Date;
  outcome: RunOutcome;
  requestedModel: string | undefined;
  prefix: string;
  uploaded: UploadedFile[];
  skipped: SkippedFile[];
  failed: FailedUpload[];
  /** Problems of storing as a whole (the walk failed). */
  errors?: string[] | undefined;
  /** Entries of each list the output carries (CCA_MAX_LISTED_FILES); all of them are kept by the sessions store. */
  listLimit: number;
  /** The run's allowlist and refusals; undefined: the run had the deployment's open network. */
  egress?: EgressReport | undefined;
  /** The run's MCP servers, their tools and calls; undefined: the run had none. */
  mcp?: McpReport | undefined;
  /** What the invocation changed; undefined when nothing ran or it could not be recorded. */
  changes?: Changes | undefined;
  /** The repository the session started from. */
  repository?: RepositoryInfo | undefined;
  /** The pushed branch, when asked for. */
  push?: PushResult | undefined;
  /** The code of the error that kept the run from starting (`workspace_error`). */
  errorCode?: string | undefined;
  /** What durable session state restored and saved; undefined when it is off. */
  sessionState?: SessionStateReport | undefined;
  /** The run's budget, for a key with a spending limit. */
  budget?: RunBudgetReport | undefined;
  /** A warm agent served the run (false when Claude Code started with it, or nothing ran). */
  warmStart?: boolean | undefined;
}): InvocationOutput {
  const { outcome } = input;
  const limit = Math.max(0, input.listLimit);
  const errors = [...outcome.errors, ...(input.errors ?? [])];
  if (input.sessionState?.error !== undefined) errors.push(input.sessionState.error);
  if (input.failed.length > 0) {
    errors.push(`${input.failed.length} file(s) could not be stored; they are still in the session's workspace.`);
  }
  return {
    output: {
      success: outcome.success,
      result: outcome.result,
      session_id: input.sessionId,
      invocation_id: input.invocationId,
      timestamp: input.endedAt.toISOString(),
      model: outcome.model ?? input.requestedModel ?? null,
      stop_reason: outcome.stopReason,
      ...(input.errorCode !== undefined ? { error_code: input.errorCode } : {}),
      cost_usd: outcome.costUsd,
      cost_source: outcome.costReported ? 'claude_code' : 'service_meter',
      ...(input.budget !== undefined ? { budget: input.budget } : {}),
      usage: outcome.usage,
      errors,
      permission_denials: outcome.permissionDenials,
      ...(input.changes !== undefined ? { changes: input.changes } : {}),
      ...(input.repository !== undefined ? { repository: input.repository } : {}),
      ...(input.push !== undefined ? { push: input.push } : {}),
      ...(input.sessionState !== undefined ? { session_state: input.sessionState } : {}),
      metadata: {
        // Wall time of the whole invocation, uploads included: what the caller waited.
        duration_ms: input.endedAt.getTime() - input.startedAt.getTime(),
        num_turns: outcome.numTurns,
        // Capped: a run of 120,000 files must not make a 14 MB answer, database row and event.
        uploaded_files: input.uploaded.slice(0, limit),
        skipped_files: input.skipped.slice(0, limit),
        failed_uploads: input.failed.slice(0, limit),
        uploaded_files_total: input.uploaded.length,
        skipped_files_total: input.skipped.length,
        failed_uploads_total: input.failed.length,
        skipped_files_by_reason: countByReason(input.skipped),
        files_truncated: [input.uploaded, input.skipped, input.failed].some((list) => list.length > limit),
        storage_prefix: input.prefix,
        warm_start: input.warmStart === true,
        ...(input.egress !== undefined ? { egress: input.egress } : {}),
        ...(input.mcp !== undefined ? { mcp: input.mcp } : {}),
      },
    },
  };
}

function countByReason(skipped: SkippedFile[]): Partial<Record<SkippedFile['reason'], number>> {
  const counts: Partial<Record<SkippedFile['reason'], number>> = {};
  for (const s of skipped) counts[s.reason] = (counts[s.reason] ?? 0) + 1;
  return counts;
}

/** The final status recorded for an invocation. */
export function statusOf(outcome: RunOutcome): Exclude<InvocationStatus, 'queued' | 'running'> {
  if (outcome.success) return 'succeeded';
  if (outcome.stopReason === 'timeout') return 'timed_out';
  if (outcome.stopReason === 'cancelled') return 'cancelled';
  if (outcome.stopReason === 'interrupted') return 'interrupted';
  return 'failed';
}
