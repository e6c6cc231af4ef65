/**
 * What an invocation's end tells operators: its counts in the metrics (outcome, duration, tokens
 * and cost under its key) and the attributes of its span. One function, called wherever an
 * invocation ends, so the two always agree with the recorded output.
 */
import { SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import type { ServiceMetrics } from '../metrics/index.js';
import type { RunOutcome } from '../runner/index.js';
import type { InvocationOutput, InvocationStatus } from '../schemas/responses.js';

/** The span attributes of an invocation's output (the gen_ai.* names are OpenTelemetry's GenAI conventions). */
function outcomeAttributes(o: InvocationOutput['output']): Attributes {
  return {
    'cca.stop_reason': o.stop_reason,
    'cca.success': o.success,
    'cca.cost_usd': o.cost_usd,
    'cca.num_turns': o.metadata.num_turns,
    'cca.files.stored': o.metadata.uploaded_files_total,
    'cca.files.failed': o.metadata.failed_uploads_total,
    ...(o.model !== null ? { 'gen_ai.response.model': o.model } : {}),
    'gen_ai.usage.input_tokens': o.usage.input_tokens,
    'gen_ai.usage.output_tokens': o.usage.output_tokens,
    'gen_ai.usage.cache_creation.input_tokens': o.usage.cache_creation_input_tokens,
    'gen_ai.usage.cache_read.input_tokens': o.usage.cache_read_input_tokens,
  };
}

/**
 * Describes Claude Code's run on its span: how it stopped, its turns, tokens and cost; failed unless it completed or was cancelled.
 * @example describeAgentRun(span, result.outcome)
 */
export function describeAgentRun(span: Span, o: RunOutcome): void {
  span.setAttributes(agentAttributes(o));
  if (!o.success && o.stopReason !== 'cancelled') span.setStatus({ code: SpanStatusCode.ERROR, message: o.errors[0] ?? o.stopReason });
}

function agentAttributes(o: RunOutcome): Attributes {
  return {
    'cca.stop_reason': o.stopReason,
    'cca.num_turns': o.numTurns,
    'cca.cost_usd': o.costUsd,
    ...(o.model !== undefined ? { 'gen_ai.response.model': o.model } : {}),
    'gen_ai.usage.input_tokens': o.usage.input_tokens,
    'gen_ai.usage.output_tokens': o.usage.output_tokens,
    'gen_ai.usage.cache_creation.input_tokens': o.usage.cache_creation_input_tokens,
    'gen_ai.usage.cache_read.input_tokens': o.usage.cache_read_input_tokens,
  };
}

/**
 * Records how an invocation ended: `output` null when a fault of the service ended it before one existed.
 * @example observeEnd({ metrics, span }, { keyId, status: 'succeeded', startedAt, output });
 */
export function observeEnd(
  to: { metrics?: ServiceMetrics | undefined; span?: Span | undefined },
  end: {
    keyId: string | undefined;
    status: Exclude<InvocationStatus, 'queued' | 'running'>;
    startedAt: Date;
    output: InvocationOutput | null;
  },
): void {
  const o = end.output?.output;
  to.metrics?.invocationFinished({
    status: end.status,
    stopReason: o?.stop_reason ?? 'service_fault',
    keyId: end.keyId,
    durationMs: o?.metadata.duration_ms ?? Date.now() - end.startedAt.getTime(),
    usage: o?.usage,
    costUsd: o?.cost_usd ?? 0,
    failedUploads: o?.metadata.failed_uploads_total ?? 0,
  });
  if (to.span === undefined) return;
  to.span.setAttribute('cca.status', end.status);
  if (o === undefined) {
    // The exception itself is recorded by the span's own error handling.
    to.span.setAttribute('cca.stop_reason', 'service_fault');
    return;
  }
  to.span.setAttributes(outcomeAttributes(o));
  // Failed, timed out, interrupted: what a trace search for errors should find (a cancel was asked for).
  if (!o.success && end.status !== 'cancelled') to.span.setStatus({ code: SpanStatusCode.ERROR, message: o.errors[0] ?? o.stop_reason });
}
