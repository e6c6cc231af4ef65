/**
 * OpenTelemetry traces: the tracer (an SDK exporting over OTLP/HTTP, or one that records nothing),
 * the server span of each request (joining the caller's `traceparent`), and spans around steps.
 */
export { activeContext, inSpan, NO_TRACER, recordError, traceIdOf } from './in-span.js';
export { traceRequests } from './request-span.js';
export { NO_TRACING, startTracing, type Tracing } from './start-tracing.js';
export { parentContext, remoteParent } from './traceparent.js';
