/**
 * What the sessions API shows: rows of the database turned into the public shapes. Stored download
 * links expire: the route makes every file's links afresh on each read.
 */
import type {
  InvocationOutput,
  InvocationSummary,
  SessionDetail,
  SessionSummary,
  SkippedFile,
  UploadedFile,
} from '../schemas/responses.js';
import type { FileCounts } from './file-lists.js';
import type { InvocationRow, SessionListRow } from './repo.js';

/** The first entries of an invocation's stored and skipped lists, and how many each holds (counted only when the output has no totals). */
export interface InvocationFilesView {
  files: UploadedFile[];
  skipped: SkippedFile[];
  counts: () => FileCounts;
}

export type { SessionSummary, SessionDetail } from '../schemas/responses.js';

/** The list entry of a session. */
export function toSessionSummary(row: SessionListRow): SessionSummary {
  return {
    session_id: row.id,
    created_at: row.created_at,
    updated_at: row.updated_at,
    status: row.last_status ?? 'idle',
    invocation_count: row.invocation_count,
    last_prompt: row.last_prompt,
  };
}

/**
 * A session with every invocation: status, prompt, result, usage, cost, timestamps, and the first
 * entries of its file lists (`filesOf`, from the file lists table) with their totals.
 */
export function toSessionDetail(
  row: SessionListRow,
  invocations: InvocationRow[],
  filesOf: (invocationId: string) => InvocationFilesView,
): SessionDetail {
  return { ...toSessionSummary(row), invocations: invocations.map((inv) => toInvocationSummary(inv, filesOf(inv.id))) };
}

function toInvocationSummary(row: InvocationRow, listed: InvocationFilesView): InvocationSummary {
  const out = parseOutput(row.output_json)?.output;
  const lists = listed;
  // Outputs carry their totals (kept up to date by late uploads); counting 100,000 rows is the fallback.
  const meta = out?.metadata;
  const totals =
    meta?.uploaded_files_total !== undefined && meta.skipped_files_total !== undefined
      ? { uploaded: meta.uploaded_files_total, skipped: meta.skipped_files_total }
      : lists.counts();
  return {
    invocation_id: row.id,
    status: row.status,
    prompt: row.prompt,
    started_at: row.started_at,
    ended_at: row.ended_at,
    success: out?.success ?? null,
    result: out?.result ?? null,
    stop_reason: out?.stop_reason ?? null,
    model: out?.model ?? null,
    cost_usd: out?.cost_usd ?? row.cost_usd,
    usage: out?.usage ?? null,
    num_turns: out?.metadata.num_turns ?? null,
    duration_ms: out?.metadata.duration_ms ?? null,
    files: lists.files,
    // Entries recorded before `file_name` was added have only `path`.
    skipped_files: lists.skipped.map((s) => ({ ...s, file_name: s.file_name ?? s.path })),
    files_total: totals.uploaded,
    skipped_files_total: totals.skipped,
    files_truncated: lists.files.length < totals.uploaded || lists.skipped.length < totals.skipped,
    errors: out?.errors ?? [],
  };
}

function parseOutput(json: string | null): InvocationOutput | undefined {
  if (json === null) return undefined;
  const parsed = JSON.parse(json) as Partial<InvocationOutput>;
  // Invocations that failed inside the service store `{error}` instead of an output.
  return parsed.output === undefined ? undefined : (parsed as InvocationOutput);
}
