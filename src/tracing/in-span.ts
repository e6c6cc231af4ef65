/** Running a step of the service as a span: the step's errors are recorded on it, and it always ends. */
import { context, ProxyTracerProvider, SpanStatusCode, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';

/** A tracer that records nothing (tracing off): spans are non-recording, and cost a function call. */
export const NO_TRACER: Tracer = new ProxyTracerProvider().getTracer('claude-code-agent');

/**
 * Runs `fn` inside a span named `name` (a child of the active span, or of `parent`), which it may add attributes to.
 * @example const outcome = await inSpan(deps.tracer, 'agent.run', { 'gen_ai.request.model': model }, (span) => runAgent(...));
 */
export function inSpan<T>(
  tracer: Tracer | undefined,
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  return (tracer ?? NO_TRACER).startActiveSpan(name, { attributes }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      recordError(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * Marks the span failed with `err` (its class as `error.type`, its message as the status).
 * @example recordError(span, new Error('clone failed'))
 */
export function recordError(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setAttribute('error.type', error.name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

/**
 * The context active now, for a span that must start beside the current step rather than inside it.
 * @example const request = activeContext(); ... inSpan(tracer, 'invocation', {}, run, request)
 */
export function activeContext(): Context {
  return context.active();
}

/**
 * The trace id of a recording span, for log lines; undefined when tracing is off.
 * @example log.child({ trace_id: traceIdOf(span) })
 */
export function traceIdOf(span: Span): string | undefined {
  return span.isRecording() ? span.spanContext().traceId : undefined;
}
