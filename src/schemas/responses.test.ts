import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { FailedUpload as ArtifactsFailedUpload, UploadedFile as ArtifactsUploadedFile } from '../artifacts/index.js';
import { OutcomeBuilder } from '../runner/outcome.js';
import type {
  PermissionDenial as RunnerPermissionDenial,
  StopReason as RunnerStopReason,
  TokenUsage as RunnerTokenUsage,
} from '../runner/index.js';
import { buildOutput } from '../runtime/output.js';
import type { SkippedFile as WorkspaceSkippedFile } from '../workspace/index.js';
import { EVENT_TYPES, SessionEventSchema } from './events.js';
import { AsyncAcceptedSchema, CancelAcceptedSchema, PermissionAnsweredSchema, PermissionAnswerSchema } from './control.js';
import {
  EXAMPLE_APPROVAL_EVENTS,
  EXAMPLE_ASYNC_ACCEPTED,
  EXAMPLE_CANCEL_ACCEPTED,
  EXAMPLE_EVENTS,
  EXAMPLE_HEALTH,
  EXAMPLE_OUTPUT,
  EXAMPLE_PERMISSION_ANSWER,
  EXAMPLE_PERMISSION_ANSWERED,
  EXAMPLE_PING,
  EXAMPLE_SESSION_DETAIL,
  EXAMPLE_SESSION_LIST,
} from '../http/examples.js';
import {
  ErrorSchema,
  HealthSchema,
  InvocationOutputSchema,
  PingSchema,
  SessionDetailSchema,
  SessionListSchema,
  type InvocationOutput,
  type UploadedFile,
} from './responses.js';

const sdk = (message: Record<string, unknown>) => message as unknown as SDKMessage;

/** A real response: an outcome from SDK messages, every list non-empty so every nested shape is exercised. */
function realOutput(): InvocationOutput {
  const builder = new OutcomeBuilder(Date.now() - 1000);
  builder.observe(sdk({ type: 'system', subtype: 'init', model: 'claude-haiku-4-5', session_id: 'cc-1' }));
  builder.observe(
    sdk({
      type: 'result',
      subtype: 'error_max_turns',
      session_id: 'cc-1',
      is_error: true,
      errors: [],
      num_turns: 5,
      total_cost_usd: 0.02,
      usage: { input_tokens: 10, output_tokens: 20, cache_creation_input_tokens: null, cache_read_input_tokens: 3 },
      permission_denials: [{ tool_name: 'WebFetch', tool_use_id: 'tu-2', tool_input: {} }],
    }),
  );
  const outcome = builder.build({ timeoutMs: 60_000 }, [{ tool_name: 'Bash', tool_use_id: 'tu-1', reason: 'not allowed' }]);
  const uploaded: UploadedFile = {
    file_name: 'hello.py',
    key: 'outputs/20250101_120000_3f2a9c1e/hello.py',
    size: 21,
    sha256: 'ab'.repeat(32),
    content_type: 'text/x-python',
    s3_url: 'file:///data/artifacts/outputs/20250101_120000_3f2a9c1e/hello.py',
    console_url: 'http://127.0.0.1:8080/files/outputs/20250101_120000_3f2a9c1e/hello.py?expires=1&signature=x',
    download_url: 'http://127.0.0.1:8080/files/outputs/20250101_120000_3f2a9c1e/hello.py?expires=1&signature=x',
    expires_at: '2025-01-01T13:00:00.000Z',
  };
  return buildOutput({
    sessionId: 'session-1',
    invocationId: '3f2a9c1e-0000-4000-8000-000000000000',
    startedAt: new Date('2025-01-01T12:00:00Z'),
    endedAt: new Date('2025-01-01T12:00:05Z'),
    outcome,
    requestedModel: undefined,
    prefix: 'outputs/20250101_120000_3f2a9c1e',
    uploaded: [uploaded],
    skipped: [{ path: 'link', file_name: 'link', reason: 'symlink', detail: 'a symbolic link is never stored' }],
    failed: [{ file_name: 'big.bin', error: 'disk full' }],
    listLimit: 1000,
  });
}

describe('InvocationOutputSchema', () => {
  it('parses what buildOutput returns without dropping a single key', () => {
    const output = realOutput();
    // Parsing strips keys the schema does not declare: equality means every key is declared.
    expect(InvocationOutputSchema.parse(output)).toStrictEqual(output);
    expect(output.output.permission_denials.map((d) => d.tool_name)).toEqual(['Bash', 'WebFetch']);
  });

  it('would notice a key buildOutput adds without declaring it', () => {
    const output = realOutput();
    const extended = { output: { ...output.output, metadata: { ...output.output.metadata, extra: 1 } } };
    expect(InvocationOutputSchema.parse(extended)).not.toStrictEqual(extended);
  });

  it('rejects a stop_reason outside the enum and a missing field', () => {
    const output = realOutput();
    expect(InvocationOutputSchema.safeParse({ output: { ...output.output, stop_reason: 'finished' } }).success).toBe(false);
    const { result: _dropped, ...withoutResult } = output.output;
    expect(InvocationOutputSchema.safeParse({ output: withoutResult }).success).toBe(false);
  });
});

describe('examples', () => {
  it.each([
    ['InvocationOutput', InvocationOutputSchema, EXAMPLE_OUTPUT],
    ['SessionList', SessionListSchema, EXAMPLE_SESSION_LIST],
    ['SessionDetail', SessionDetailSchema, EXAMPLE_SESSION_DETAIL],
    ['Health', HealthSchema, EXAMPLE_HEALTH],
    ['Ping', PingSchema, EXAMPLE_PING],
    ['AsyncAccepted', AsyncAcceptedSchema, EXAMPLE_ASYNC_ACCEPTED],
    ['CancelAccepted', CancelAcceptedSchema, EXAMPLE_CANCEL_ACCEPTED],
    ['PermissionAnswer', PermissionAnswerSchema, EXAMPLE_PERMISSION_ANSWER],
    ['PermissionAnswered', PermissionAnsweredSchema, EXAMPLE_PERMISSION_ANSWERED],
  ] as [string, z.ZodType, unknown][])('%s example matches its schema exactly', (_name, schema, example) => {
    expect(schema.parse(example)).toStrictEqual(example);
  });

  it('has example events that match the event contract, ids increasing, every type shown', () => {
    const all = [...EXAMPLE_EVENTS, ...EXAMPLE_APPROVAL_EVENTS];
    for (const event of all) expect(SessionEventSchema.parse(event)).toStrictEqual(event);
    for (const list of [EXAMPLE_EVENTS, EXAMPLE_APPROVAL_EVENTS]) {
      expect(list.map((e) => e.id)).toEqual(list.map((_e, i) => list[0]!.id + i));
      expect(list.map((e) => e.at)).toEqual(list.map((e) => e.at).sort());
    }
    expect(EXAMPLE_EVENTS[0]?.type).toBe('invocation.queued');
    expect(EXAMPLE_EVENTS.at(-1)).toMatchObject({ type: 'invocation.completed', data: { output: EXAMPLE_OUTPUT } });
    expect(new Set(all.map((e) => e.type))).toEqual(new Set(EVENT_TYPES));
  });

  it('keeps extra fields of an error body', () => {
    const body = { message: 'bad', code: 'invalid_request', issues: [{ field: 'prompt' }] };
    expect(ErrorSchema.parse(body)).toStrictEqual(body);
    expect(ErrorSchema.parse({ message: 'Forbidden' })).toStrictEqual({ message: 'Forbidden' });
  });
});

describe('derived types', () => {
  it('keep the shapes the domain modules exported before', () => {
    expectTypeOf<ArtifactsUploadedFile>().toEqualTypeOf<{
      file_name: string;
      key: string;
      size: number;
      sha256: string;
      content_type: string;
      s3_url: string;
      console_url: string;
      download_url: string;
      expires_at: string;
    }>();
    expectTypeOf<ArtifactsFailedUpload>().toEqualTypeOf<{ file_name: string; error: string; key?: string | undefined }>();
    expectTypeOf<RunnerPermissionDenial>().toEqualTypeOf<{ tool_name: string; tool_use_id: string; reason: string }>();
    expectTypeOf<RunnerStopReason>().toEqualTypeOf<
      | 'completed'
      | 'error'
      | 'max_turns'
      | 'max_budget'
      | 'timeout'
      | 'cancelled'
      | 'interrupted'
      | 'memory_limit'
      | 'process_limit'
      | 'workspace_error'
      | 'disk_limit'
    >();
    expectTypeOf<RunnerTokenUsage>().toEqualTypeOf<{
      input_tokens: number;
      output_tokens: number;
      cache_creation_input_tokens: number;
      cache_read_input_tokens: number;
    }>();
    expectTypeOf<WorkspaceSkippedFile['reason']>().toEqualTypeOf<
      | 'symlink'
      | 'special_file'
      | 'hard_link'
      | 'file_too_large'
      | 'too_many_files'
      | 'total_bytes_exceeded'
      | 'walk_limit'
      | 'unreadable'
      | 'name_too_long'
      | 'invalid_name'
      | 'storage_quota'
      | 'nested_repository'
    >();
    expectTypeOf<InvocationOutput['output']['model']>().toEqualTypeOf<string | null>();
  });
});
