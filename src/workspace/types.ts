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

/** Why a created or changed entry is not stored, and the entry with a sentence a person can act on: public API shapes. */
export type { SkipReason, SkippedFile } from '../schemas/responses.js';

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

/** A workspace with nothing in it: the "before" of a run whose changes are already known by path. */
export const EMPTY_SNAPSHOT: Snapshot = Object.freeze({ entries: new Map<string, FileEntry>(), truncated: false });
