/**
 * The per-session workspace: where Claude Code runs, and how the files one run created or
 * changed are found (snapshot before, snapshot after, diff) and opened without being fooled by
 * links swapped in between.
 */
export type { EntryKind, FileEntry, SkipReason, SkippedFile, Snapshot, WorkspaceLimits } from './types.js';
export { DEFAULT_WORKSPACE_LIMITS, EMPTY_SNAPSHOT } from './types.js';
export { snapshotOf, takeSnapshot } from './snapshot.js';
export { loadSnapshot, parseSnapshot, saveSnapshot, serializeSnapshot, SnapshotFileError } from './snapshot-file.js';
export { detectChanges, skippedEntry } from './detect-changes.js';
export { openWorkspaceFile, WorkspaceFileChangedError } from './open-workspace-file.js';
export { ensureWorkspace, InvalidSessionIdError, isValidSessionId } from './ensure-workspace.js';
export {
  forgetRunSnapshot,
  makeSessionDirs,
  runBaseFile,
  runSnapshotFile,
  sessionDirs,
  sessionsRoot,
  type SessionDirs,
} from './session-dirs.js';
export { bytesOfName, displayName, fsPath, hasEscapes, nameFromBytes } from './names.js';
