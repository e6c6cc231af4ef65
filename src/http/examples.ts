/**
 * Example bodies for the OpenAPI document and the docs page. Typed with the schemas' own types,
 * so an example that drifts from its schema fails the type check (and the tests parse them too).
 */
import type { EventPayload, EventType, SessionEvent } from '../schemas/events.js';
import { formatSse } from '../events/sse.js';
import type { AsyncAccepted, CancelAccepted, PermissionAnswer, PermissionAnswered } from '../schemas/control.js';
import type { Health, InvocationOutput, Ping, SessionDetail, SessionList, UploadedFile } from '../schemas/responses.js';

/** The original sample's request, as its README sent it (Replace, Search and List are aliases). */
export const EXAMPLE_REQUEST = {
  prompt: 'Create a REST API for user management',
  permission_mode: 'acceptEdits',
  allowed_tools: 'Bash,Read,Write,Replace,Search,List',
} as const;

const SESSION_ID = '7c1e2f4a-5b6d-4e8f-9a0b-1c2d3e4f5a6b';
const INVOCATION_ID = '3f2a9c1e-8d7b-4a6c-b5e4-d3c2b1a09f8e';
const PREFIX = 'outputs/20250101_120000_3f2a9c1e';
const ORIGIN = 'https://agent.example.com';
const LINK = `${ORIGIN}/files/${PREFIX}/app/main.py?expires=1735736400&signature=q2l1Zx0cMv6Qh2eV0n3P8w`;

const EXAMPLE_FILE: UploadedFile = {
  file_name: 'app/main.py',
  key: `${PREFIX}/app/main.py`,
  size: 1834,
  sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  content_type: 'text/x-python',
  s3_url: `s3://my-agent-bucket/${PREFIX}/app/main.py`,
  console_url: `https://s3.console.aws.amazon.com/s3/object/my-agent-bucket?prefix=${PREFIX}/app/main.py`,
  download_url: LINK,
  expires_at: '2025-01-01T13:00:00.000Z',
};

const EXAMPLE_USAGE = { input_tokens: 5120, output_tokens: 2210, cache_creation_input_tokens: 8400, cache_read_input_tokens: 30500 };
const RESULT = 'Created a FastAPI app with CRUD endpoints for users in app/main.py, with tests in tests/test_users.py.';

export const EXAMPLE_OUTPUT: InvocationOutput = {
  output: {
    success: true,
    result: RESULT,
    session_id: SESSION_ID,
    invocation_id: INVOCATION_ID,
    timestamp: '2025-01-01T12:00:41.512Z',
    model: 'claude-haiku-4-5',
    stop_reason: 'completed',
    cost_usd: 0.0291,
    usage: EXAMPLE_USAGE,
    errors: [],
    permission_denials: [],
    metadata: {
      duration_ms: 41512,
      num_turns: 9,
      uploaded_files: [EXAMPLE_FILE],
      skipped_files: [],
      failed_uploads: [],
      uploaded_files_total: 1,
      skipped_files_total: 0,
      failed_uploads_total: 0,
      skipped_files_by_reason: {},
      files_truncated: false,
      storage_prefix: PREFIX,
    },
  },
};

export const EXAMPLE_SESSION_LIST: SessionList = {
  sessions: [
    {
      session_id: SESSION_ID,
      created_at: '2025-01-01T12:00:00.000Z',
      updated_at: '2025-01-01T12:00:41.512Z',
      status: 'succeeded',
      invocation_count: 1,
      last_prompt: EXAMPLE_REQUEST.prompt,
    },
  ],
  next_cursor: null,
};

export const EXAMPLE_SESSION_DETAIL: SessionDetail = {
  ...EXAMPLE_SESSION_LIST.sessions[0]!,
  invocations: [
    {
      invocation_id: INVOCATION_ID,
      status: 'succeeded',
      prompt: EXAMPLE_REQUEST.prompt,
      started_at: '2025-01-01T12:00:00.000Z',
      ended_at: '2025-01-01T12:00:41.512Z',
      success: true,
      result: RESULT,
      stop_reason: 'completed',
      model: 'claude-haiku-4-5',
      cost_usd: 0.0291,
      usage: EXAMPLE_USAGE,
      num_turns: 9,
      duration_ms: 41512,
      files: [EXAMPLE_FILE],
      skipped_files: [],
      files_total: 1,
      skipped_files_total: 0,
      files_truncated: false,
      errors: [],
    },
  ],
};

export const EXAMPLE_HEALTH: Health = {
  status: 'ok',
  version: '0.1.0',
  uptime_s: 3600,
  runs: { active: 1, queued: 0 },
  run_limits: { cgroup: 'v2', run_uid: 65534 },
  warm_pool: { enabled: true, max: 4, ready: 2, starting: 1, hits: 41, misses: 3, hit_rate: 0.93 },
};

export const EXAMPLE_PING: Ping = { status: 'Healthy', time_of_last_update: 1735732800 };

export const EXAMPLE_ASYNC_ACCEPTED: AsyncAccepted = {
  session_id: SESSION_ID,
  invocation_id: INVOCATION_ID,
  status: 'queued',
  status_url: `${ORIGIN}/sessions/${SESSION_ID}`,
  events_url: `${ORIGIN}/sessions/${SESSION_ID}/events`,
};

export const EXAMPLE_CANCEL_ACCEPTED: CancelAccepted = { session_id: SESSION_ID, invocation_id: INVOCATION_ID, status: 'cancelling' };

const REQUEST_ID = 'b5d0c3e2-7a41-4f9e-8c6d-2e1f0a9b8c7d';
export const EXAMPLE_PERMISSION_ANSWER: PermissionAnswer = {
  decision: 'deny',
  message: 'Do not install packages; use the standard library.',
};
export const EXAMPLE_PERMISSION_ANSWERED: PermissionAnswered = { request_id: REQUEST_ID, decision: 'deny' };

type Draft = { [T in EventType]: { type: T; data: EventPayload<T> } }[EventType];
/** Events of one invocation, numbered from `firstId` 5 s apart (the last at the output's timestamp). */
function events(drafts: Draft[], firstId: number): SessionEvent[] {
  const end = Date.parse(EXAMPLE_OUTPUT.output.timestamp);
  return drafts.map((draft, i) => ({
    id: firstId + i,
    session_id: SESSION_ID,
    invocation_id: INVOCATION_ID,
    at: new Date(end - (drafts.length - 1 - i) * 5000).toISOString(),
    ...draft,
  }));
}

/** A whole invocation as its event stream carries it. */
export const EXAMPLE_EVENTS: SessionEvent[] = events(
  [
    { type: 'invocation.queued', data: { prompt: EXAMPLE_REQUEST.prompt } },
    // Only when the request named a repository: the clone before the run.
    { type: 'workspace.preparing', data: { phase: 'receiving', percent: 100, repository: 'https://github.com/acme/app.git' } },
    { type: 'invocation.started', data: { resumed: false } },
    { type: 'assistant.text', data: { text: "I'll create a FastAPI app with CRUD endpoints for users." } },
    {
      type: 'tool.call',
      data: {
        tool_use_id: 'toolu_01',
        tool: 'Write',
        summary: 'app/main.py (58 lines)',
        input: '{"file_path":"app/main.py","content":"from fastapi import FastAPI\\n\\napp = FastAPI()\\n… [truncated 1790 chars]"}',
      },
    },
    { type: 'tool.result', data: { tool_use_id: 'toolu_01', is_error: false, content: 'File created successfully at: app/main.py' } },
    { type: 'usage', data: { usage: EXAMPLE_USAGE } },
    // Only with an egress allowlist that lacks the host (allowed_domains / CCA_ALLOWED_DOMAINS).
    { type: 'egress.denied', data: { host: 'pypi.org', port: 443 } },
    {
      type: 'file.stored',
      data: { file_name: EXAMPLE_FILE.file_name, size: EXAMPLE_FILE.size, key: EXAMPLE_FILE.key, download_url: LINK },
    },
    { type: 'invocation.completed', data: { status: 'succeeded', output: EXAMPLE_OUTPUT } },
  ],
  1,
);

/** manual mode: a tool use waits for an answer, which arrives through the API. */
export const EXAMPLE_APPROVAL_EVENTS: SessionEvent[] = events(
  [
    {
      type: 'permission.request',
      data: { request_id: REQUEST_ID, tool: 'Bash', input: '{"command":"pip install fastapi"}', expires_at: '2025-01-01T12:05:36.512Z' },
    },
    {
      type: 'permission.decision',
      data: { request_id: REQUEST_ID, tool: 'Bash', decision: 'deny', by: 'api', message: EXAMPLE_PERMISSION_ANSWER.message },
    },
  ],
  5,
);

/** The wire form of events, with the keep-alive comment a quiet stream gets every 15 s. */
function sse(list: SessionEvent[], keepAliveAfter: number): string {
  return list.map((event, i) => formatSse(event) + (i === keepAliveAfter ? ': keep-alive\n\n' : '')).join('');
}

export const EXAMPLE_EVENT_STREAM = sse(EXAMPLE_EVENTS, 3);
export const EXAMPLE_APPROVAL_STREAM = sse(EXAMPLE_APPROVAL_EVENTS, 0);
