/**
 * The public response shapes: each zod schema is the one source of its TypeScript type (the
 * domain modules re-export `z.infer` of these), of any validation, and of the OpenAPI document.
 * This file imports nothing but zod, so every domain module can depend on it without a cycle.
 */
import { z } from 'zod';
import { ChangesSchema, PushResultSchema, RepositoryInfoSchema } from './changes.js';

/** Why a run stopped; `completed` is the only reason that can mean success. */
export const STOP_REASONS = [
  'completed',
  'error',
  'max_turns',
  'max_budget',
  'timeout',
  'cancelled',
  'interrupted',
  'memory_limit',
  'process_limit',
  'disk_limit',
  'workspace_error',
] as const;
/** Why a created or changed workspace entry was not stored. */
export const SKIP_REASONS = [
  'symlink',
  'special_file',
  'hard_link',
  'file_too_large',
  'too_many_files',
  'total_bytes_exceeded',
  'walk_limit',
  'unreadable',
  'name_too_long',
  'invalid_name',
  'storage_quota',
  'nested_repository',
] as const;
/** Where an invocation is in its life; `running` is the only state that is not final. */
export const INVOCATION_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted'] as const;
export type InvocationStatus = (typeof INVOCATION_STATUSES)[number];
/** A session's status: its latest invocation's, or `idle` before the first one. */
export const SESSION_STATUSES = ['idle', ...INVOCATION_STATUSES] as const;

const isoTime = (description: string) => z.string().meta({ description, examples: ['2025-01-01T12:00:00.000Z'] });
const count = (description: string) => z.number().int().nonnegative().meta({ description });

/** One stored file with its digest and links; `file_name`, `s3_url` and `console_url` are the original sample's. */
export const UploadedFileSchema = z
  .object({
    file_name: z.string().meta({
      description:
        'Path of the file relative to the session workspace. Bytes of the name that are not UTF-8 show as U+FFFD; `key` keeps them.',
      examples: ['app/main.py'],
    }),
    key: z.string().meta({
      description:
        'Storage key: `outputs/<YYYYMMDD_HHMMSS>_<id>/<path>`, with "%", "\\", control characters and bytes that are not UTF-8 percent-encoded (%XX), so every name maps to one key and back.',
      examples: ['outputs/20250101_120000_3f2a9c1e/app/main.py'],
    }),
    size: count('Size in bytes.'),
    sha256: z.string().meta({ description: 'SHA-256 of the stored bytes, lowercase hex.' }),
    content_type: z.string().meta({ description: 'MIME type the file is served with.', examples: ['text/x-python'] }),
    s3_url: z.string().meta({ description: 's3:// URL of the object (file:// URL with local storage).' }),
    console_url: z.string().meta({ description: 'Link to view the object: the S3 console, or the download link locally.' }),
    download_url: z.string().meta({ description: 'Signed link that downloads the file without an API key, until `expires_at`.' }),
    expires_at: isoTime('When `download_url` stops working (ISO 8601, UTC).'),
  })
  .meta({ id: 'UploadedFile', description: 'A file the run created or changed, stored under the invocation prefix.' });
export type UploadedFile = z.infer<typeof UploadedFileSchema>;

/** A file that could not be stored; it is still in the session workspace. */
export const FailedUploadSchema = z
  .object({
    file_name: z.string().meta({ description: 'Path relative to the session workspace.' }),
    error: z.string().meta({ description: 'Why storing it failed.' }),
    key: z.string().optional().meta({ description: 'The storage key it will have once a retry stores it.' }),
  })
  .meta({ id: 'FailedUpload', description: 'A file that could not be stored; it is still in the session workspace.' });
export type FailedUpload = z.infer<typeof FailedUploadSchema>;

/** A created or changed entry that is deliberately not stored, with a sentence a person can act on. */
export const SkippedFileSchema = z
  .object({
    path: z.string().meta({ description: 'Path relative to the session workspace (bytes that are not UTF-8 show as U+FFFD).' }),
    file_name: z.string().meta({ description: 'The same path, under the name `uploaded_files` and `failed_uploads` use.' }),
    reason: z.enum(SKIP_REASONS).meta({
      description:
        'Why it was not stored. `name_too_long`: its storage key would pass 1024 bytes or a name 255 bytes once percent-encoded; `walk_limit`: the workspace walk stopped at CCA_MAX_WALK_ENTRIES, so entries past it were not seen (path is empty).',
    }),
    detail: z.string().meta({ description: 'What happened and what to do about it.' }),
  })
  .meta({ id: 'SkippedFile', description: 'A created or changed entry that was not stored (links, special files, limits, names).' });
export type SkippedFile = z.infer<typeof SkippedFileSchema>;
export type SkipReason = SkippedFile['reason'];

/** A tool use the run refused. */
export const PermissionDenialSchema = z
  .object({
    tool_name: z.string().meta({ description: 'The tool Claude Code wanted to use.', examples: ['Bash'] }),
    tool_use_id: z.string().meta({ description: "Claude Code's id of that tool use." }),
    reason: z.string().meta({ description: 'Why it was refused, and how to allow it.' }),
  })
  .meta({ id: 'PermissionDenial', description: 'A tool use refused by the permission mode or allowed_tools.' });
export type PermissionDenial = z.infer<typeof PermissionDenialSchema>;

/** The egress of a run that had an allowlist: what it could reach and what it was refused. */
export const EgressReportSchema = z
  .object({
    allowed_domains: z
      .array(z.string())
      .meta({ description: 'Hosts the run could connect to besides the model endpoint.', examples: [['github.com', '*.pypi.org']] }),
    denied: z
      .array(
        z.object({
          host: z.string(),
          port: z.number().int(),
          attempts: z.number().int().positive().meta({ description: 'Connections refused to this host and port.' }),
        }),
      )
      .meta({ description: 'Hosts the run tried to reach and was refused; add them to allowed_domains if the task needs them.' }),
  })
  .meta({ description: "Present when the run had an egress allowlist (allowed_domains or the deployment's CCA_ALLOWED_DOMAINS)." });
export type EgressReport = z.infer<typeof EgressReportSchema>;

/** The MCP servers a run had and what it did with them. */
export const McpReportSchema = z
  .object({
    servers: z.array(
      z.object({
        name: z.string().meta({ description: 'The server, as in mcp_servers; its tools are mcp__<name>__<tool>.' }),
        source: z.enum(['config', 'request']).meta({ description: "`config`: declared by the operator; `request`: the request's own." }),
        status: z.enum(['connected', 'unavailable', 'unused']).meta({
          description:
            '`connected`: the run was offered its tools; `unavailable`: the service could not reach it, so the run went on without its tools (see `error`); `unused`: never asked for.',
        }),
        tools: z.array(z.string()).meta({ description: 'The tools the run was offered, as Claude Code names them (the first 100).' }),
        calls: count('Tool calls the run made to this server.'),
        failed_calls: count('Of those, calls that failed or whose result was an error.'),
        skipped_tools: z.array(z.string()).optional().meta({
          description:
            'Tools of the server left out because their names, as Claude Code names them, are longer than the 64 characters the model API takes (the first 100).',
        }),
        error: z.string().optional().meta({
          description: 'Why the server was unavailable, or why its tool list was cut (the run then had the tools read until then).',
        }),
      }),
    ),
    calls: count('Tool calls to MCP servers, over all of them.'),
  })
  .meta({ description: "Present when the run had MCP servers (mcp_servers, or the operator's defaults)." });
export type McpReport = z.infer<typeof McpReportSchema>;

/** Tokens the model used over the whole run. */
export const TokenUsageSchema = z
  .object({
    input_tokens: count('Input tokens not read from the prompt cache.'),
    output_tokens: count('Output tokens.'),
    cache_creation_input_tokens: count('Input tokens written to the prompt cache.'),
    cache_read_input_tokens: count('Input tokens read from the prompt cache.'),
  })
  .meta({ id: 'TokenUsage', description: 'Tokens the model used over the whole run.' });
export type TokenUsage = z.infer<typeof TokenUsageSchema>;

export const StopReasonSchema = z.enum(STOP_REASONS).meta({
  id: 'StopReason',
  description:
    'Why the run stopped. Only `completed` can come with success; the limits (`max_turns`, `max_budget`, `timeout`) keep the files written so far. `interrupted`: the service stopped during the run (a crash or kill); the files it had written were stored when the service started again. `memory_limit`, `process_limit`, `disk_limit`: the run went over a per-run resource limit (memory of all its processes, processes and threads at once, bytes in its workspace, home and temporary directory) and was stopped; the files written so far were stored. `workspace_error`: the workspace could not be prepared (the repository could not be cloned; `errors` says why), so nothing ran.',
});
export type StopReason = z.infer<typeof StopReasonSchema>;

/** What durable session state did in an invocation (present when `CCA_SESSION_STATE` is on). */
export const SessionStateReportSchema = z
  .object({
    generation: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'The saved generation the session is at after this invocation; null when it could not be saved.' }),
    restored: z
      .object({
        generation: z.number().int(),
        files: z.number().int().min(0),
        fetched_files: z.number().int().min(0),
        fetched_bytes: z.number().int().min(0),
        duration_ms: z.number().int().min(0),
      })
      .nullable()
      .meta({
        description:
          "Set when this worker's copy of the session was not the saved one and was brought to it before the run (only the files that differed were fetched).",
      }),
    saved: z
      .object({
        generation: z.number().int(),
        files: z.number().int().min(0),
        uploaded_files: z.number().int().min(0),
        uploaded_bytes: z.number().int().min(0),
        duration_ms: z.number().int().min(0),
      })
      .nullable()
      .meta({ description: 'The save at the end of this invocation (only changed contents are uploaded); null when it failed.' }),
    error: z.string().optional().meta({ description: 'Why the session could not be saved; its files are stored all the same.' }),
  })
  .meta({
    id: 'SessionStateReport',
    description: 'The session saved to the session store, so any worker sharing it can continue it.',
  });
export type SessionStateReport = z.infer<typeof SessionStateReportSchema>;

/** What a run of a key with a spending limit was given. */
export const RunBudgetReportSchema = z
  .object({
    max_budget_usd: z.number().nonnegative().meta({
      description: "The run's budget: the request's max_budget_usd, or what was left of the key's budget when that was less.",
    }),
    limited_by: z.enum(['request', 'key_day', 'key_month']).meta({
      description:
        "Which limit set it: the request's max_budget_usd, or what was left of the key's budget for the UTC day (`key_day`) or month (`key_month`).",
    }),
  })
  .meta({
    id: 'RunBudgetReport',
    description: 'Present when the API key has a daily or monthly budget (`cca keys update --budget-usd-day/--budget-usd-month`).',
  });
export type RunBudgetReport = z.infer<typeof RunBudgetReportSchema>;

/** The response of one invocation: the original sample's fields unchanged, more added, none renamed. */
export const InvocationOutputSchema = z
  .object({
    output: z.object({
      success: z.boolean().meta({ description: 'True only when the run completed without an error.' }),
      result: z.string().meta({ description: "The agent's final answer, or what went wrong." }),
      session_id: z.string().meta({ description: 'The session; send it back as `session_id` to continue in the same workspace.' }),
      invocation_id: z.string().meta({ description: 'This invocation (a UUID).' }),
      timestamp: isoTime('When the invocation ended (ISO 8601, UTC).'),
      model: z
        .string()
        .nullable()
        .meta({ description: 'The model the run used.', examples: ['claude-haiku-4-5'] }),
      stop_reason: StopReasonSchema,
      error_code: z.string().optional().meta({
        description:
          "With `workspace_error`: the stable code of what went wrong, e.g. `repository_too_large`, `repository_unreachable`; a synchronous request answers with its 4xx/5xx status. With `max_budget`: `key_budget_day` or `key_budget_month` when what was left of the API key's budget (not the request's max_budget_usd) stopped the run.",
      }),
      cost_usd: z.number().nonnegative().meta({
        description:
          "Cost of the run in US dollars, the amount charged to the API key: Claude Code's own figure (`cost_source: claude_code`), or the service's count of the model answers it forwarded for the run, priced at list prices, when Claude Code gave none (cancelled, timed out, stopped, interrupted) or counted less (`cost_source: service_meter`). An estimate, not a bill.",
      }),
      cost_source: z
        .enum(['claude_code', 'service_meter'])
        .optional()
        .meta({ description: 'Where `cost_usd` and `usage` come from (see `cost_usd`).' }),
      budget: RunBudgetReportSchema.optional(),
      usage: TokenUsageSchema,
      errors: z.array(z.string()).meta({ description: 'Every problem, in order; empty on success.' }),
      permission_denials: z.array(PermissionDenialSchema).meta({ description: 'Tool uses that were refused.' }),
      changes: ChangesSchema.optional().meta({ description: 'What the invocation changed; absent when nothing ran.' }),
      repository: RepositoryInfoSchema.optional().meta({ description: 'The repository the session started from, if any.' }),
      push: PushResultSchema.optional().meta({ description: 'The pushed branch, when the request asked for `push`.' }),
      session_state: SessionStateReportSchema.optional(),
      metadata: z.object({
        duration_ms: count('Wall time of the invocation, uploads included.'),
        num_turns: count('Model turns the run took.'),
        uploaded_files: z.array(UploadedFileSchema).meta({
          description:
            'Files the run created or changed, as stored, in path order: the first CCA_MAX_LISTED_FILES (1000) of `uploaded_files_total`; `GET /sessions/{session_id}/files` pages through all of them.',
        }),
        skipped_files: z.array(SkippedFileSchema).meta({
          description:
            'Created or changed entries that were not stored: the walk limit first, then entries with reasons of their own, then those over the run limits; at most CCA_MAX_LISTED_FILES of `skipped_files_total`.',
        }),
        failed_uploads: z.array(FailedUploadSchema).meta({
          description:
            'Files that could not be stored (retried in the background); at most CCA_MAX_LISTED_FILES of `failed_uploads_total`.',
        }),
        uploaded_files_total: count('Files stored by this invocation, listed or not.'),
        skipped_files_total: count('Entries skipped, listed or not.'),
        failed_uploads_total: count('Files that could not be stored, listed or not.'),
        skipped_files_by_reason: z
          .partialRecord(z.enum(SKIP_REASONS), z.number().int().positive())
          .meta({ description: 'How many entries were skipped for each reason.', examples: [{ too_many_files: 119000, symlink: 2 }] }),
        files_truncated: z.boolean().meta({
          description: 'True when a list above holds fewer entries than its total: page the rest with `GET /sessions/{session_id}/files`.',
        }),
        storage_prefix: z.string().meta({ description: 'Key prefix of this invocation.', examples: ['outputs/20250101_120000_3f2a9c1e'] }),
        warm_start: z
          .boolean()
          .optional()
          .meta({
            description:
              'True when a warm agent served the run: Claude Code had been started, in its sandbox, before the request came (a new session ' +
              'with options the warm pool keeps), so the run did not wait for its start-up. False otherwise. Absent from invocations recorded before warm starts existed.',
          }),
        egress: EgressReportSchema.optional(),
        mcp: McpReportSchema.optional(),
      }),
    }),
  })
  .meta({ id: 'InvocationOutput', description: 'The result of one invocation, with links to every file it produced.' });
export type InvocationOutput = z.infer<typeof InvocationOutputSchema>;

/** Every error body: a message saying what is wrong and how to fix it, a stable code, and details. */
export const ErrorSchema = z
  .looseObject({
    message: z.string().meta({ description: 'What is wrong and how to fix it.' }),
    code: z
      .string()
      .optional()
      .meta({ description: 'Stable machine-readable code; absent on the API Gateway bodies.', examples: ['invalid_request'] }),
  })
  .meta({
    id: 'Error',
    description: 'An error. Extra fields (e.g. `issues`, `limit`) give details.',
    examples: [{ message: 'prompt is required.', code: 'invalid_request' }],
  });
export type ErrorBody = z.infer<typeof ErrorSchema>;

/** The AgentCore `/ping` body. */
export const PingSchema = z
  .object({
    status: z.enum(['Healthy', 'HealthyBusy']).meta({ description: '`HealthyBusy` while a run is in progress.' }),
    time_of_last_update: z.number().int().meta({ description: 'Unix seconds of the last change between busy and idle.' }),
  })
  .meta({ id: 'Ping', description: 'The AgentCore Runtime health contract.' });
export type Ping = z.infer<typeof PingSchema>;

export const SessionSummarySchema = z
  .object({
    session_id: z.string().meta({ description: 'The session id.' }),
    created_at: isoTime('When the session was created.'),
    updated_at: isoTime('When the session last changed.'),
    status: z.enum(SESSION_STATUSES).meta({ description: "The latest invocation's status; `idle` when there is none." }),
    invocation_count: count('Invocations in the session.'),
    last_prompt: z.string().nullable().meta({ description: "The latest invocation's prompt." }),
  })
  .meta({ id: 'SessionSummary', description: 'A session: a workspace and a Claude Code conversation.' });
export type SessionSummary = z.infer<typeof SessionSummarySchema>;

export const SessionListSchema = z
  .object({
    sessions: z.array(SessionSummarySchema).meta({ description: 'Newest first.' }),
    next_cursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  })
  .meta({ id: 'SessionList', description: "One page of the caller's sessions." });
export type SessionList = z.infer<typeof SessionListSchema>;

export const InvocationSummarySchema = z
  .object({
    invocation_id: z.string().meta({ description: 'The invocation id.' }),
    status: z.enum(INVOCATION_STATUSES).meta({ description: '`interrupted`: the service stopped during the run.' }),
    prompt: z.string().meta({ description: 'The prompt as sent.' }),
    started_at: isoTime('When the run started.'),
    ended_at: z.string().nullable().meta({ description: 'When it ended; null while running.' }),
    success: z.boolean().nullable().meta({ description: 'null until it ends.' }),
    result: z.string().nullable().meta({ description: "The agent's final answer, or what went wrong." }),
    stop_reason: StopReasonSchema.nullable(),
    model: z.string().nullable().meta({ description: 'The model the run used.' }),
    cost_usd: z.number().nullable().meta({ description: 'Cost in US dollars.' }),
    usage: TokenUsageSchema.nullable(),
    num_turns: z.number().int().nullable().meta({ description: 'Model turns.' }),
    duration_ms: z.number().int().nullable().meta({ description: 'Wall time, uploads included.' }),
    files: z.array(UploadedFileSchema).meta({
      description: 'Files the run stored, with fresh download links: the first `files_limit` (100) of `files_total`.',
    }),
    skipped_files: z
      .array(SkippedFileSchema)
      .meta({ description: 'Entries that were not stored: the first `files_limit` of `skipped_files_total`.' }),
    files_total: count('Files the run stored; `GET /sessions/{session_id}/files?invocation_id=` pages through them.'),
    skipped_files_total: count('Entries that were not stored; page them with `kind=skipped`.'),
    files_truncated: z.boolean().meta({ description: 'True when `files` or `skipped_files` holds fewer entries than its total.' }),
    errors: z.array(z.string()).meta({ description: 'Every problem, in order.' }),
  })
  .meta({ id: 'InvocationSummary', description: 'One invocation of a session; result fields are null until it ends.' });
export type InvocationSummary = z.infer<typeof InvocationSummarySchema>;

export const SessionDetailSchema = SessionSummarySchema.extend({
  invocations: z.array(InvocationSummarySchema).meta({ description: 'The invocations of the session.' }),
}).meta({ id: 'SessionDetail', description: 'A session with all its invocations.' });
export type SessionDetail = z.infer<typeof SessionDetailSchema>;

/** Which list of an invocation's files a page reads. */
export const FILE_LIST_KINDS = ['uploaded', 'skipped', 'failed'] as const;

const ofInvocation = { invocation_id: z.string().meta({ description: 'The invocation that produced the entry.' }) };

/** One page of a session's file lists, across its invocations or of one. */
export const SessionFilesPageSchema = z
  .object({
    session_id: z.string().meta({ description: 'The session.' }),
    invocation_id: z.string().nullable().meta({ description: 'The invocation asked for; null: every invocation of the session.' }),
    kind: z.enum(FILE_LIST_KINDS).meta({ description: 'The list read: stored files, skipped entries or failed uploads.' }),
    files: z
      .array(
        z.union([UploadedFileSchema.extend(ofInvocation), SkippedFileSchema.extend(ofInvocation), FailedUploadSchema.extend(ofInvocation)]),
      )
      .meta({
        description:
          'Entries of the list, oldest invocation first and in path order within one; stored files come with fresh download links. Each has the shape of `kind`: UploadedFile, SkippedFile or FailedUpload, plus `invocation_id`.',
      }),
    next_cursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  })
  .meta({ id: 'SessionFilesPage', description: "One page of a session's stored, skipped or failed files." });
export type SessionFilesPage = z.infer<typeof SessionFilesPageSchema>;

/** The warm pool as /health shows it. */
export const WarmPoolSchema = z
  .object({
    enabled: z.boolean().meta({ description: 'Whether Claude Code is started ahead of new sessions (CCA_WARM_POOL).' }),
    max: count('Most warm agents kept at once, all request shapes together.'),
    ready: count('Warm agents started and waiting for a new session.'),
    starting: count('Warm agents starting.'),
    hits: count('New sessions served by a warm agent since the service started.'),
    misses: count('New sessions that could have used a warm agent but found none ready (they started Claude Code themselves).'),
    hit_rate: z.number().min(0).max(1).nullable().meta({ description: 'hits / (hits + misses); null before the first.' }),
  })
  .meta({
    description:
      'Claude Code processes started, each in its own sandbox with an empty workspace, before any request: a new session with the same ' +
      'options takes one and skips the start-up. Each serves one invocation and is never used again.',
  });

export const HealthSchema = z
  .object({
    status: z.literal('ok'),
    version: z.string().meta({ description: 'Service version.', examples: ['0.1.0'] }),
    uptime_s: z.number().nonnegative().meta({ description: 'Seconds since the service started.' }),
    runs: z
      .object({ active: count('Runs in progress.'), queued: count('Runs waiting for a slot.') })
      .meta({ description: 'Run slots in use.' }),
    run_limits: z
      .object({
        cgroup: z.enum(['v2', 'v1', 'none']).meta({
          description:
            'The cgroup version that limits the memory, processes and CPU of each run; `none`: no usable cgroups (or no sandbox), so only the disk limit holds.',
        }),
        run_uid: z
          .number()
          .int()
          .nullable()
          .meta({ description: "The unprivileged user runs execute as; null: the service's own (it does not run as root)." }),
      })
      .meta({ description: 'How runs are kept from exhausting the machine.' }),
    warm_pool: WarmPoolSchema,
  })
  .meta({ id: 'Health', description: 'Liveness of the gateway.' });
export type Health = z.infer<typeof HealthSchema>;
