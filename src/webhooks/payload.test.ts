import { describe, expect, it } from 'vitest';
import { EXAMPLE_OUTPUT } from '../http/examples.js';
import { SESSION_HEADER } from '../http/headers.js';
import type { SessionEvent } from '../schemas/events.js';
import type { InvocationOutput } from '../schemas/responses.js';
import { WEBHOOK_PAYLOAD_SCHEMAS, WebhookPayloadSchema } from '../schemas/webhooks.js';
import { buildPayload, FILES_LIMIT, RESULT_LIMIT, webhookTypeOf } from './payload.js';

const base = { id: 7, session_id: 's-1', invocation_id: 'i-1', at: '2025-01-01T12:00:00.000Z' };
const completed = (
  status: 'succeeded' | 'failed' | 'timed_out' | 'cancelled' | 'interrupted',
  output: InvocationOutput | null = EXAMPLE_OUTPUT,
) => ({ ...base, type: 'invocation.completed', data: { status, output } }) as SessionEvent;

describe('webhookTypeOf', () => {
  it.each([
    ['succeeded', 'invocation.completed'],
    ['failed', 'invocation.failed'],
    ['interrupted', 'invocation.failed'],
    ['cancelled', 'invocation.cancelled'],
    ['timed_out', 'invocation.timed_out'],
  ] as const)('maps an invocation that ended %s to %s', (status, type) => {
    expect(webhookTypeOf(completed(status))).toBe(type);
  });

  it('maps permission requests, and nothing else', () => {
    expect(
      webhookTypeOf({ ...base, type: 'permission.request', data: { request_id: 'r', tool: 'Bash', input: '{}', expires_at: 'x' } }),
    ).toBe('permission.request');
    expect(webhookTypeOf({ ...base, type: 'assistant.text', data: { text: 'hi' } })).toBeUndefined();
    expect(webhookTypeOf({ ...base, type: 'invocation.queued', data: { prompt: 'p' } })).toBeUndefined();
  });
});

describe('buildPayload', () => {
  it('describes a completion with its result, cost, usage, files and links, in the documented shape', () => {
    const payload = buildPayload(completed('succeeded'), 'invocation.completed', 'https://agent.example.com', true);
    WEBHOOK_PAYLOAD_SCHEMAS['invocation.completed'].parse(payload);
    WebhookPayloadSchema.parse(payload);
    const out = EXAMPLE_OUTPUT.output;
    expect(payload).toMatchObject({
      type: 'invocation.completed',
      timestamp: base.at,
      data: {
        session_id: 's-1',
        invocation_id: 'i-1',
        status: 'succeeded',
        success: true,
        result: out.result,
        stop_reason: 'completed',
        cost_usd: out.cost_usd,
        usage: out.usage,
        files_total: out.metadata.uploaded_files_total,
        links: {
          session: 'https://agent.example.com/sessions/s-1',
          files: 'https://agent.example.com/sessions/s-1/files?invocation_id=i-1',
        },
      },
    });
    expect((payload.data as { files: unknown[] }).files[0]).toEqual({
      file_name: out.metadata.uploaded_files[0]!.file_name,
      size: out.metadata.uploaded_files[0]!.size,
      sha256: out.metadata.uploaded_files[0]!.sha256,
      content_type: out.metadata.uploaded_files[0]!.content_type,
      download_url: out.metadata.uploaded_files[0]!.download_url,
      expires_at: out.metadata.uploaded_files[0]!.expires_at,
    });
  });

  it('stays small for a huge result and file list, and says what it cut', () => {
    const file = EXAMPLE_OUTPUT.output.metadata.uploaded_files[0]!;
    const big: InvocationOutput = {
      output: {
        ...EXAMPLE_OUTPUT.output,
        success: false,
        stop_reason: 'error',
        result: 'x'.repeat(50_000),
        errors: Array.from({ length: 500 }, () => 'e'.repeat(5000)),
        metadata: {
          ...EXAMPLE_OUTPUT.output.metadata,
          uploaded_files: Array.from({ length: 1000 }, (_, i) => ({ ...file, file_name: `f${i}` })),
          uploaded_files_total: 120_000,
        },
      },
    };
    const payload = buildPayload(completed('failed', big), 'invocation.failed', 'https://a', false);
    const data = payload.data as {
      result: string;
      result_truncated: boolean;
      files: unknown[];
      files_truncated: boolean;
      errors: string[];
      links?: unknown;
    };
    expect(data.result.length).toBeLessThan(RESULT_LIMIT + 40);
    expect(data.result_truncated).toBe(true);
    expect(data.files).toHaveLength(FILES_LIMIT);
    expect(data.files_truncated).toBe(true);
    expect(data.errors).toHaveLength(20);
    expect(data.links).toBeUndefined();
    expect(JSON.stringify(payload).length).toBeLessThan(100_000);
  });

  it('describes an end without an output by its status', () => {
    const payload = buildPayload(completed('timed_out', null), 'invocation.timed_out', 'https://a', false);
    WebhookPayloadSchema.parse(payload);
    expect(payload.data).toMatchObject({ status: 'timed_out', success: false, stop_reason: 'timeout', files: [], files_total: 0 });
  });

  it('tells a permission request how to answer it, with a one-line summary of the tool use', () => {
    const input = JSON.stringify({ command: 'rm -rf build', description: 'clean' });
    const event = {
      ...base,
      type: 'permission.request',
      data: { request_id: 'req 1', tool: 'Bash', input, expires_at: '2025-01-01T12:05:00.000Z' },
    } as SessionEvent;
    const payload = buildPayload(event, 'permission.request', 'https://agent.example.com', true);
    WebhookPayloadSchema.parse(payload);
    expect(payload).toEqual({
      type: 'permission.request',
      timestamp: base.at,
      data: {
        session_id: 's-1',
        invocation_id: 'i-1',
        request_id: 'req 1',
        tool: 'Bash',
        input_summary: 'rm -rf build',
        input,
        expires_at: '2025-01-01T12:05:00.000Z',
        answer: { method: 'POST', url: 'https://agent.example.com/sessions/s-1/permissions/req%201', body: { decision: 'allow' } },
      },
    });
  });
});

describe('buildPayload without a sessions API (cca runtime)', () => {
  it('answers a permission request through /invocations with a control body and the session header', () => {
    const event = {
      ...base,
      type: 'permission.request',
      data: { request_id: 'r1', tool: 'Bash', input: '{"command":"ls"}', expires_at: 'x' },
    } as SessionEvent;
    const payload = buildPayload(event, 'permission.request', 'http://127.0.0.1:8080', false);
    WebhookPayloadSchema.parse(payload);
    expect((payload.data as { answer: unknown }).answer).toEqual({
      method: 'POST',
      url: 'http://127.0.0.1:8080/invocations',
      headers: { [SESSION_HEADER]: 's-1' },
      body: { control: { action: 'permission', request_id: 'r1', decision: 'allow' } },
    });
  });
});
