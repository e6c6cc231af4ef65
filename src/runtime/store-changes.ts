/**
 * Storing what an invocation produced: the files created or changed since its "before" snapshot
 * are uploaded under its prefix, and uploads that failed wait in the outbox. Shared by the end of
 * every run and by the recovery of runs the process died in. No file, whatever its name, makes
 * this throw: a name that cannot become a storage key is skipped with its reason.
 */
import {
  encodeKeyPath,
  MAX_KEY_BYTES,
  objectKey,
  StorageKeyError,
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
  skippedEntry,
  snapshotOf,
  takeSnapshot,
  type FileEntry,
  type SkippedFile,
  type Snapshot,
  type WorkspaceLimits,
} from '../workspace/index.js';

/** What was stored, skipped (links, limits, names) and not stored (the outbox retries those), and what went wrong on the way. */
export interface StoredChanges {
  uploaded: UploadedFile[];
  skipped: SkippedFile[];
  failed: FailedUpload[];
  /** Problems of the whole step (the walk failed); empty normally. */
  errors?: string[];
}

/**
 * Snapshots `workspace` now, uploads what changed since `before`, and queues failed uploads.
 * @example const stored = await storeChanges({ store, outbox, workspace, before, limits, prefix, baseUrl, sessionId, invocationId });
 */
export async function storeChanges(input: {
  store: ArtifactStore;
  outbox?: UploadOutbox | undefined;
  workspace: string;
  /** The workspace before the run: what changed since is found by a walk. */
  before: Snapshot;
  /** The changed paths, already known (git said): only they are looked at, no walk. */
  changed?: string[] | undefined;
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
  let changes: ReturnType<typeof detectChanges>;
  try {
    const after = input.changed !== undefined ? await snapshotOf(workspace, input.changed) : await takeSnapshot(workspace, input.limits);
    changes = detectChanges(input.before, after, input.limits);
  } catch (err) {
    // The result, cost and usage of the run are worth more than a failed walk: report, do not throw.
    return {
      uploaded: [],
      skipped: [],
      failed: [],
      errors: [`The workspace could not be walked to find the files this run changed: ${String(err)}`],
    };
  }

  const { storable, unstorable } = withKeys(changes.files, prefix, input.store.maxKeyBytes ?? MAX_KEY_BYTES);
  const admitted = input.quota?.(storable) ?? { files: storable, skipped: [], release: () => {} };
  const byPath = new Map<string, FileEntry>(storable.map((f) => [f.path, f]));
  const upload = await uploadFiles(input.store, admitted.files, (rel) => openWorkspaceFile(workspace, byPath.get(rel) as FileEntry), {
    prefix,
    baseUrl: input.baseUrl,
    ...(input.onStored ? { onStored: input.onStored } : {}),
  }).finally(admitted.release);
  if (upload.failed.length > 0) {
    // The files stay in the workspace; the outbox stores them once storage answers again.
    const keyed = new Map(storable.map((f) => [objectKey(prefix, f.path), f]));
    input.outbox?.add(
      upload.failed.flatMap((f) => {
        const entry = f.key === undefined ? undefined : keyed.get(f.key);
        if (entry === undefined || f.key === undefined) return [];
        return [
          {
            session_id: input.sessionId,
            invocation_id: input.invocationId,
            // The key's form of the path: SQLite text cannot carry bytes that are not UTF-8.
            file_name: encodeKeyPath(entry.path),
            object_key: f.key,
            workspace,
            size: entry.size,
            dev: entry.dev,
            ino: entry.ino,
            error: f.error,
          },
        ];
      }),
    );
  }
  return {
    uploaded: upload.uploaded,
    skipped: rankSkipped([...changes.skipped, ...unstorable, ...admitted.skipped]),
    failed: upload.failed,
  };
}

/** The files whose path makes a storage key, and the others as skipped entries. */
function withKeys(files: FileEntry[], prefix: string, maxKeyBytes: number): { storable: FileEntry[]; unstorable: SkippedFile[] } {
  const storable: FileEntry[] = [];
  const unstorable: SkippedFile[] = [];
  for (const file of files) {
    try {
      objectKey(prefix, file.path, maxKeyBytes);
      storable.push(file);
    } catch (err) {
      const reason = err instanceof StorageKeyError ? err.reason : 'invalid_path';
      const detail = err instanceof Error ? err.message : String(err);
      unstorable.push(skippedEntry(file.path, { reason: reason === 'name_too_long' ? 'name_too_long' : 'invalid_name', detail }));
    }
  }
  return { storable, unstorable };
}

// What a capped list should show first: the walk stopping (everything past it is unknown), then
// each file's own reason, then the run's limits, which can repeat for thousands of files.
const RANK: Partial<Record<SkippedFile['reason'], number>> = { walk_limit: 0, too_many_files: 2, total_bytes_exceeded: 2 };

/** Skipped entries in the order a capped list shows them; path order within each rank. */
export function rankSkipped(skipped: SkippedFile[]): SkippedFile[] {
  const rank = (s: SkippedFile) => RANK[s.reason] ?? 1;
  return skipped
    .map((s, i) => ({ s, i }))
    .sort((a, b) => rank(a.s) - rank(b.s) || (a.s.path < b.s.path ? -1 : a.s.path > b.s.path ? 1 : a.i - b.i))
    .map(({ s }) => s);
}
