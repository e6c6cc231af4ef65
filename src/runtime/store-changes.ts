/**
 * Storing what an invocation produced: the files created or changed since its "before" snapshot
 * are uploaded under its prefix, and uploads that failed wait in the outbox. Shared by the end of
 * every run and by the recovery of runs the process died in.
 */
import {
  objectKey,
  uploadFiles,
  type ArtifactStore,
  type FailedUpload,
  type QuotaAdmission,
  type UploadedFile,
  type UploadOutbox,
} from '../artifacts/index.js';
import {
  detectChanges,
  openWorkspaceFile,
  takeSnapshot,
  type FileEntry,
  type SkippedFile,
  type Snapshot,
  type WorkspaceLimits,
} from '../workspace/index.js';

/** What was stored, skipped (links, limits) and not stored (the outbox retries those). */
export interface StoredChanges {
  uploaded: UploadedFile[];
  skipped: SkippedFile[];
  failed: FailedUpload[];
}

/**
 * Snapshots `workspace` now, uploads what changed since `before`, and queues failed uploads.
 * @example const stored = await storeChanges({ store, outbox, workspace, before, limits, prefix, baseUrl, sessionId, invocationId });
 */
export async function storeChanges(input: {
  store: ArtifactStore;
  outbox?: UploadOutbox | undefined;
  workspace: string;
  before: Snapshot;
  limits: WorkspaceLimits;
  prefix: string;
  baseUrl: string;
  sessionId: string;
  invocationId: string;
  /** Told about each file as soon as it is stored (live `file.stored` events). */
  onStored?: (file: UploadedFile) => void;
  /** The owner's storage quota: what fits is uploaded, the rest skipped (`storage_quota`). */
  quota?: (files: FileEntry[]) => QuotaAdmission<FileEntry>;
}): Promise<StoredChanges> {
  const { workspace, prefix } = input;
  const after = await takeSnapshot(workspace, input.limits);
  const changes = detectChanges(input.before, after, input.limits);
  const admitted = input.quota?.(changes.files) ?? { files: changes.files, skipped: [], release: () => {} };
  const byPath = new Map<string, FileEntry>(changes.files.map((f) => [f.path, f]));
  const upload = await uploadFiles(input.store, admitted.files, (rel) => openWorkspaceFile(workspace, byPath.get(rel) as FileEntry), {
    prefix,
    baseUrl: input.baseUrl,
    ...(input.onStored ? { onStored: input.onStored } : {}),
  }).finally(admitted.release);
  if (upload.failed.length > 0) {
    // The files stay in the workspace; the outbox stores them once storage answers again.
    input.outbox?.add(
      upload.failed.map((f) => {
        const entry = byPath.get(f.file_name) as FileEntry;
        return {
          session_id: input.sessionId,
          invocation_id: input.invocationId,
          file_name: f.file_name,
          object_key: objectKey(prefix, f.file_name),
          workspace,
          size: entry.size,
          dev: entry.dev,
          ino: entry.ino,
          error: f.error,
        };
      }),
    );
  }
  return { uploaded: upload.uploaded, skipped: [...changes.skipped, ...admitted.skipped], failed: upload.failed };
}
