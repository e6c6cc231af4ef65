import { trace, TraceFlags } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { parentContext, remoteParent } from './traceparent.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('remoteParent (W3C traceparent)', () => {
  it("reads the caller's trace id, span id and sampled flag", () => {
    expect(remoteParent(`00-${TRACE}-${SPAN}-01`, undefined)).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    expect(remoteParent(`00-${TRACE}-${SPAN}-00`, undefined)?.traceFlags).toBe(TraceFlags.NONE);
    // Flags other than "sampled" are not ours to pass on.
    expect(remoteParent(`00-${TRACE}-${SPAN}-03`, undefined)?.traceFlags).toBe(TraceFlags.SAMPLED);
  });

  it('keeps tracestate for the spans of the invocation', () => {
    const parent = remoteParent(`00-${TRACE}-${SPAN}-01`, 'vendor=value,other=x');
    expect(parent?.traceState?.get('vendor')).toBe('value');
  });

  it('accepts a later version with more fields, as the spec asks', () => {
    expect(remoteParent(`cc-${TRACE}-${SPAN}-01-what-comes-later`, undefined)?.traceId).toBe(TRACE);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['upper-case hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['version 00 with more fields', `00-${TRACE}-${SPAN}-01-extra`],
    ['short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['two headers joined', `00-${TRACE}-${SPAN}-01, 00-${TRACE}-${SPAN}-01`],
    ['garbage', 'x'.repeat(10_000)],
  ])('ignores a traceparent that is %s (the invocation starts its own trace)', (_what, header) => {
    expect(remoteParent(header, 'vendor=value')).toBeUndefined();
  });

  it('joins the trace through the context a request span starts in', () => {
    const joined = trace.getSpanContext(parentContext(`00-${TRACE}-${SPAN}-01`, undefined));
    expect(joined).toMatchObject({ traceId: TRACE, spanId: SPAN, isRemote: true });
    expect(trace.getSpanContext(parentContext('nonsense', undefined))).toBeUndefined();
  });
});
