/**
 * The response: the original sample's shape, unchanged, with the fields users need added.
 * `{"output": {success, result, session_id, timestamp, model, metadata: {duration_ms, num_turns, uploaded_files}}}`
 */
import type { EgressReport, InvocationOutput, InvocationStatus } from '../schemas/responses.js';
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
  /** The run's allowlist and refusals; undefined: the run had the deployment's open network. */
  egress?: EgressReport | undefined;
}): InvocationOutput {
  const { outcome } = input;
  const errors = [...outcome.errors];
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
      cost_usd: outcome.costUsd,
      usage: outcome.usage,
      errors,
      permission_denials: outcome.permissionDenials,
      metadata: {
        // Wall time of the whole invocation, uploads included: what the caller waited.
        duration_ms: input.endedAt.getTime() - input.startedAt.getTime(),
        num_turns: outcome.numTurns,
        uploaded_files: input.uploaded,
        skipped_files: input.skipped,
        failed_uploads: input.failed,
        storage_prefix: input.prefix,
        ...(input.egress !== undefined ? { egress: input.egress } : {}),
      },
    },
  };
}

/** The final status recorded for an invocation. */
export function statusOf(outcome: RunOutcome): Exclude<InvocationStatus, 'queued' | 'running'> {
  if (outcome.success) return 'succeeded';
  if (outcome.stopReason === 'timeout') return 'timed_out';
  if (outcome.stopReason === 'cancelled') return 'cancelled';
  if (outcome.stopReason === 'interrupted') return 'interrupted';
  return 'failed';
}
