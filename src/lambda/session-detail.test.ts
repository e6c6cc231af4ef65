import { describe, expect, it } from 'vitest';
import type { InvocationOutput, UploadedFile } from '../schemas/responses.js';
import { invocationRecordOf, type SessionStateRecord } from '../state/index.js';
import { relinkWith, toSessionDetail, toSessionSummary } from './session-detail.js';

const ID = 'session-'.padEnd(40, 'x');
const OWNER = { owner: 'key-a', created_at: '2025-01-01T11:00:00.000Z' };
const same = async (f: UploadedFile) => f;
const file = (over: Partial<UploadedFile> = {}): UploadedFile => ({
  file_name: 'a.py',
  key: 'outputs/20250101_120000_3f2a9c1e/a.py',
  size: 1,
  sha256: '0'.repeat(64),
  content_type: 'text/x-python',
  s3_url: 's3://bkt/p/outputs/20250101_120000_3f2a9c1e/a.py',
  console_url: 'https://console',
  download_url: 'https://stale',
  expires_at: '2025-01-01T13:00:00.000Z',
  ...over,
});

describe('toSessionDetail', () => {
  it('shows a session without state as idle with no invocations', async () => {
    expect(await toSessionDetail(ID, OWNER, [], same)).toEqual({
      session_id: ID,
      created_at: OWNER.created_at,
      updated_at: OWNER.created_at,
      status: 'idle',
      invocation_count: 0,
      last_prompt: null,
      invocations: [],
    });
  });

  it('shows a running invocation with null results, started when its state last changed', async () => {
    const state: SessionStateRecord = {
      session_id: ID,
      owner: null,
      invocation_id: 'inv',
      status: 'running',
      prompt: 'Build it',
      updated_at: '2025-01-01T12:00:00.000Z',
      output: null,
    };
    const detail = await toSessionDetail(ID, OWNER, [invocationRecordOf(state)], same);
    expect(detail).toMatchObject({ status: 'running', invocation_count: 1, last_prompt: 'Build it', updated_at: state.updated_at });
    expect(detail.invocations[0]).toEqual({
      invocation_id: 'inv',
      status: 'running',
      prompt: 'Build it',
      started_at: '2025-01-01T12:00:00.000Z',
      ended_at: null,
      success: null,
      result: null,
      stop_reason: null,
      model: null,
      cost_usd: null,
      usage: null,
      num_turns: null,
      duration_ms: null,
      files: [],
      skipped_files: [],
      files_total: 0,
      skipped_files_total: 0,
      files_truncated: false,
      errors: [],
    });
  });

  it('shows a failed run with its errors, relinking every file', async () => {
    const output = {
      output: {
        success: false,
        result: 'Stopped.',
        timestamp: '2025-01-01T12:00:10.000Z',
        model: 'm',
        stop_reason: 'max_turns',
        cost_usd: 0.5,
        usage: { input_tokens: 1, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        errors: ['Reached max_turns.'],
        metadata: { duration_ms: 10_000, num_turns: 3, uploaded_files: [file()], skipped_files: [], failed_uploads: [] },
      },
    } as unknown as InvocationOutput;
    const state: SessionStateRecord = {
      session_id: ID,
      owner: null,
      invocation_id: 'inv',
      status: 'failed',
      prompt: 'p',
      updated_at: '2025-01-01T12:00:10.000Z',
      output,
    };
    const detail = await toSessionDetail(ID, OWNER, [invocationRecordOf(state)], async (f) => ({ ...f, download_url: 'fresh' }));
    expect(detail.invocations[0]).toMatchObject({
      started_at: '2025-01-01T12:00:00.000Z',
      ended_at: '2025-01-01T12:00:10.000Z',
      success: false,
      stop_reason: 'max_turns',
      errors: ['Reached max_turns.'],
      files: [{ file_name: 'a.py', download_url: 'fresh' }],
    });
  });
});

describe('relinkWith', () => {
  it("replaces a file's links with the store's fresh ones, keeping the rest", async () => {
    const links = {
      s3_url: 's3://bkt/p/k',
      console_url: 'https://c',
      download_url: 'https://fresh',
      expires_at: '2030-01-01T00:00:00.000Z',
    };
    const keys: string[] = [];
    const relink = relinkWith({ links: async (key) => (keys.push(key), links) });
    expect(await relink(file())).toEqual({ ...file(), ...links });
    expect(keys).toEqual(['outputs/20250101_120000_3f2a9c1e/a.py']);
  });
});

describe('toSessionDetail over several invocations', () => {
  const record = (id: string, status: SessionStateRecord['status'], at: string, files: UploadedFile[] = []) =>
    invocationRecordOf(
      {
        session_id: ID,
        owner: null,
        invocation_id: id,
        status,
        prompt: `prompt ${id}`,
        updated_at: at,
        output:
          files.length === 0
            ? null
            : ({
                output: {
                  success: true,
                  timestamp: at,
                  errors: [],
                  metadata: { duration_ms: 1000, num_turns: 1, uploaded_files: files, skipped_files: [], failed_uploads: [] },
                },
              } as unknown as InvocationOutput),
      },
      at,
    );

  it('lists them in order, the latest giving the status, and caps each file list at files_limit', async () => {
    const files = [file({ file_name: 'a.py' }), file({ file_name: 'b.py' }), file({ file_name: 'c.py' })];
    const first = record('inv-1', 'succeeded', '2025-01-01T12:00:00.000Z', files);
    const second = record('inv-2', 'running', '2025-01-01T12:05:00.000Z');
    const detail = await toSessionDetail(ID, OWNER, [first, second], same, 2);
    expect(detail).toMatchObject({ status: 'running', invocation_count: 2, last_prompt: 'prompt inv-2', updated_at: second.updated_at });
    expect(detail.invocations.map((i) => i.invocation_id)).toEqual(['inv-1', 'inv-2']);
    expect(detail.invocations[0]).toMatchObject({ files_total: 3, files_truncated: true });
    expect(detail.invocations[0]?.files.map((f) => f.file_name)).toEqual(['a.py', 'b.py']);
  });

  it('summarizes a session for the list from its latest state and its count', () => {
    expect(toSessionSummary(ID, OWNER, undefined, 0)).toEqual({
      session_id: ID,
      created_at: OWNER.created_at,
      updated_at: OWNER.created_at,
      status: 'idle',
      invocation_count: 0,
      last_prompt: null,
    });
  });
});
