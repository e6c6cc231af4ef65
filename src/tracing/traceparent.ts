/**
 * The W3C Trace Context headers of an incoming request (`traceparent`, `tracestate`): the caller's
 * trace, which an invocation joins (AgentCore sends one). A header that is not exactly right is
 * ignored (the invocation starts a trace of its own), never refused: it must not fail a run.
 */
import { context, createTraceState, ROOT_CONTEXT, trace, type Context, type SpanContext } from '@opentelemetry/api';

// version-traceid-parentid-flags, lower-case hex; a later version may append fields after a dash.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const MAX_TRACESTATE_CHARS = 512;

/**
 * The caller's span, from its headers; undefined when `traceparent` is absent or malformed.
 * @example remoteParent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', undefined)?.traceId // '4bf92f3577b34da6a3ce929d0e0e4736'
 */
export function remoteParent(traceparent: string | undefined, tracestate: string | undefined): SpanContext | undefined {
  const m = TRACEPARENT.exec(traceparent?.trim() ?? '');
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  // ff is forbidden; version 00 has exactly four fields.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  const state = tracestate !== undefined && tracestate.length <= MAX_TRACESTATE_CHARS ? createTraceState(tracestate) : undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) & 1, isRemote: true, ...(state ? { traceState: state } : {}) };
}

/**
 * The context a request's span starts in: the caller's trace when it sent a valid `traceparent`, else the current one.
 * @example tracer.startSpan('POST /invoke', {}, parentContext(c.req.header('traceparent'), c.req.header('tracestate')))
 */
export function parentContext(traceparent: string | undefined, tracestate: string | undefined): Context {
  const parent = remoteParent(traceparent, tracestate);
  return parent === undefined ? context.active() : trace.setSpanContext(ROOT_CONTEXT, parent);
}
