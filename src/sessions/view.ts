/**
 * What the sessions API shows: rows of the database turned into the public shapes. Stored download
 * links expire: the route makes every file's links afresh on each read.
 */
import type { InvocationOutput, InvocationSummary, SessionDetail, SessionSummary } from '../schemas/responses.js';
import type { InvocationRow, SessionListRow } from './repo.js';

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

/** A session with every invocation: status, prompt, result, usage, cost, files, timestamps. */
export function toSessionDetail(row: SessionListRow, invocations: InvocationRow[]): SessionDetail {
  return { ...toSessionSummary(row), invocations: invocations.map(toInvocationSummary) };
}

function toInvocationSummary(row: InvocationRow): InvocationSummary {
  const out = parseOutput(row.output_json)?.output;
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
    files: out?.metadata.uploaded_files ?? [],
    skipped_files: out?.metadata.skipped_files ?? [],
    errors: out?.errors ?? [],
  };
}

function parseOutput(json: string | null): InvocationOutput | undefined {
  if (json === null) return undefined;
  const parsed = JSON.parse(json) as Partial<InvocationOutput>;
  // Invocations that failed inside the service store `{error}` instead of an output.
  return parsed.output === undefined ? undefined : (parsed as InvocationOutput);
}
