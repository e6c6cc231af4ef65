/**
 * `GET /sessions/{id}` on AWS: the SessionDetail shape of the local gateway, built from what the
 * bucket holds: the Lambda's owner record and the runtime's mirrored SessionStateRecord (the latest
 * invocation only: that is all the runtime mirrors).
 */
import type { InvocationSummary, SessionDetail, UploadedFile } from '../schemas/responses.js';
import type { ArtifactStore } from '../artifacts/store.js';
import type { SessionStateRecord } from '../state/index.js';
import type { SessionObjects } from './objects.js';
import type { OwnerRecord } from './owners.js';

/** Fresh links for a stored file. */
export type Relink = (file: UploadedFile) => Promise<UploadedFile>;

/**
 * Relinks through the artifact store, as the local gateway does: the runtime's links were made
 * when the run ended and may have expired.
 * @example const relink = relinkWith(new S3ArtifactStore({ client, bucket, prefix, expiresInSeconds: 3600, region }));
 */
export function relinkWith(store: Pick<ArtifactStore, 'links'>): Relink {
  return async (file) => ({ ...file, ...(await store.links(file.key, '')) });
}

/**
 * The detail of a session. Without state (the runtime has not written any yet) it is `idle` with
 * no invocations. The record has no start time: a finished run's is its end minus its duration, an
 * unfinished one's the time of its latest state (when it was queued or started running).
 */
export async function toSessionDetail(
  sessionId: string,
  owner: OwnerRecord,
  state: SessionStateRecord | undefined,
  relink: Relink,
): Promise<SessionDetail> {
  if (state === undefined) {
    return {
      session_id: sessionId,
      created_at: owner.created_at,
      updated_at: owner.created_at,
      status: 'idle',
      invocation_count: 0,
      last_prompt: null,
      invocations: [],
    };
  }
  const out = state.output?.output;
  const endedAt = out?.timestamp ?? null;
  const startedAt =
    out !== undefined && endedAt !== null ? new Date(Date.parse(endedAt) - out.metadata.duration_ms).toISOString() : state.updated_at;
  const files = await Promise.all((out?.metadata.uploaded_files ?? []).map(relink));
  const skipped = out?.metadata.skipped_files ?? [];
  const invocation: InvocationSummary = {
    invocation_id: state.invocation_id,
    status: state.status,
    prompt: state.prompt,
    started_at: startedAt,
    ended_at: endedAt,
    success: out?.success ?? null,
    result: out?.result ?? null,
    stop_reason: out?.stop_reason ?? null,
    model: out?.model ?? null,
    cost_usd: out?.cost_usd ?? null,
    usage: out?.usage ?? null,
    num_turns: out?.metadata.num_turns ?? null,
    duration_ms: out?.metadata.duration_ms ?? null,
    files,
    skipped_files: skipped.map((s) => ({ ...s, file_name: s.file_name ?? s.path })),
    // The mirrored output holds the first entries of each list (no file table on AWS): its totals say how many there were.
    files_total: out?.metadata.uploaded_files_total ?? files.length,
    skipped_files_total: out?.metadata.skipped_files_total ?? skipped.length,
    files_truncated: out?.metadata.files_truncated ?? false,
    errors: out?.errors ?? [],
  };
  return {
    session_id: sessionId,
    created_at: owner.created_at,
    updated_at: state.updated_at,
    status: state.status,
    invocation_count: 1,
    last_prompt: state.prompt,
    invocations: [invocation],
  };
}

/** Reads a session's mirrored state; undefined when the runtime has written none. */
export async function readState(objects: SessionObjects, key: string): Promise<SessionStateRecord | undefined> {
  const value = await objects.getJson(key);
  if (value === undefined) return undefined;
  const record = value as Partial<SessionStateRecord> | null;
  if (typeof record?.invocation_id !== 'string' || typeof record.status !== 'string' || typeof record.prompt !== 'string') {
    throw new Error(`session state ${key} is malformed`);
  }
  return record as SessionStateRecord;
}
