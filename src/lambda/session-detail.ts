/**
 * The local gateway's session shapes built from what the bucket holds: the Lambda's owner record,
 * and the runtime's invocation records (or, for sessions mirrored before those existed, the one
 * invocation its `state.json` describes).
 */
import type { InvocationSummary, SessionDetail, SessionSummary, UploadedFile } from '../schemas/responses.js';
import type { ArtifactStore } from '../artifacts/store.js';
import type { InvocationRecord, SessionStateRecord } from '../state/index.js';
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
 * A session in the list: its latest state and how many invocations it has had. Without state (the
 * runtime has written none yet) it is `idle`.
 */
export function toSessionSummary(
  sessionId: string,
  owner: OwnerRecord,
  state: SessionStateRecord | undefined,
  count: number,
): SessionSummary {
  return {
    session_id: sessionId,
    created_at: owner.created_at,
    updated_at: state?.updated_at ?? owner.created_at,
    status: state?.status ?? 'idle',
    invocation_count: count,
    last_prompt: state?.prompt ?? null,
  };
}

/**
 * The detail of a session: every invocation (oldest first), each with the first `filesLimit`
 * entries of its file lists, relinked.
 */
export async function toSessionDetail(
  sessionId: string,
  owner: OwnerRecord,
  invocations: InvocationRecord[],
  relink: Relink,
  filesLimit = 100,
): Promise<SessionDetail> {
  const latest = invocations.at(-1);
  const updatedAt = invocations.reduce((at, inv) => (inv.updated_at > at ? inv.updated_at : at), owner.created_at);
  return {
    session_id: sessionId,
    created_at: owner.created_at,
    updated_at: updatedAt,
    status: latest?.status ?? 'idle',
    invocation_count: invocations.length,
    last_prompt: latest?.prompt ?? null,
    invocations: await Promise.all(invocations.map((inv) => toInvocationSummary(inv, relink, filesLimit))),
  };
}

async function toInvocationSummary(record: InvocationRecord, relink: Relink, filesLimit: number): Promise<InvocationSummary> {
  const out = record.output?.output;
  const uploaded = out?.metadata.uploaded_files ?? [];
  const skipped = out?.metadata.skipped_files ?? [];
  const files = await Promise.all(uploaded.slice(0, filesLimit).map(relink));
  const listedSkipped = skipped.slice(0, filesLimit);
  // The mirrored output holds the first entries of each list (no file table on AWS): its totals say how many there were.
  const filesTotal = out?.metadata.uploaded_files_total ?? uploaded.length;
  const skippedTotal = out?.metadata.skipped_files_total ?? skipped.length;
  return {
    invocation_id: record.invocation_id,
    status: record.status,
    prompt: record.prompt,
    started_at: record.started_at,
    ended_at: record.ended_at,
    success: out?.success ?? null,
    result: out?.result ?? null,
    stop_reason: out?.stop_reason ?? null,
    model: out?.model ?? null,
    cost_usd: out?.cost_usd ?? null,
    usage: out?.usage ?? null,
    num_turns: out?.metadata.num_turns ?? null,
    duration_ms: out?.metadata.duration_ms ?? null,
    files,
    // Entries recorded before `file_name` was added have only `path`.
    skipped_files: listedSkipped.map((s) => ({ ...s, file_name: s.file_name ?? s.path })),
    files_total: filesTotal,
    skipped_files_total: skippedTotal,
    files_truncated: files.length < filesTotal || listedSkipped.length < skippedTotal,
    errors: out?.errors ?? [],
  };
}
