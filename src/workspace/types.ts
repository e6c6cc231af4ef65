/** What a walk found at a path: only regular files are ever stored; the rest is reported. */
export type EntryKind = 'file' | 'symlink' | 'other';

/** One non-directory entry of a workspace, as `lstat` saw it (never through a link). */
export interface FileEntry {
  /** POSIX path relative to the workspace root, e.g. "src/app/main.py". */
  path: string;
  kind: EntryKind;
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  dev: bigint;
  nlink: number;
}

/** Why a created or changed entry is not stored. */
export type SkipReason =
  | 'symlink'
  | 'special_file'
  | 'hard_link'
  | 'file_too_large'
  | 'too_many_files'
  | 'total_bytes_exceeded'
  | 'walk_limit'
  | 'unreadable';

/** A created or changed entry that is not stored, with a sentence a person can act on. */
export interface SkippedFile {
  path: string;
  reason: SkipReason;
  detail: string;
}

/** Bounds on what one run may store and on how much of the tree one walk may visit. */
export interface WorkspaceLimits {
  maxFiles: number;
  maxFileBytes: number;
  maxTotalBytes: number;
  maxWalkEntries: number;
}

/** Limits used when the caller passes none. */
export const DEFAULT_WORKSPACE_LIMITS: WorkspaceLimits = Object.freeze({
  maxFiles: 1000,
  maxFileBytes: 100 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxWalkEntries: 100_000,
});

/** The state of a workspace at one moment, keyed by `FileEntry.path`. */
export interface Snapshot {
  entries: Map<string, FileEntry>;
  /** The walk stopped at `maxWalkEntries`, so entries past that point are missing. */
  truncated: boolean;
}
