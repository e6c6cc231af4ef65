import { displayName } from './names.js';
import { DEFAULT_WORKSPACE_LIMITS } from './types.js';
import type { FileEntry, SkippedFile, Snapshot, WorkspaceLimits } from './types.js';

type SkipVerdict = Omit<SkippedFile, 'path' | 'file_name'>;

/** What one invocation created or changed: regular files to store (sorted by path) and everything skipped, with why. */
export function detectChanges(
  before: Snapshot,
  after: Snapshot,
  limits: WorkspaceLimits = DEFAULT_WORKSPACE_LIMITS,
): { files: FileEntry[]; skipped: SkippedFile[] } {
  const changed = [...after.entries.values()]
    .filter((entry) => isNewOrChanged(before.entries.get(entry.path), entry))
    // Code-unit order, not locale order: the same tree must give the same list on every host.
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const files: FileEntry[] = [];
  const skipped: SkippedFile[] = [];
  let totalBytes = 0;
  for (const entry of changed) {
    const verdict = whyNotStored(entry, files.length, totalBytes, limits);
    if (verdict) {
      skipped.push(skippedEntry(entry.path, verdict));
    } else {
      files.push(entry);
      totalBytes += entry.size;
    }
  }

  if (after.truncated) {
    skipped.push(
      skippedEntry('', {
        reason: 'walk_limit',
        detail: 'the workspace has more entries than one walk may visit (CCA_MAX_WALK_ENTRIES), so changes past that point were not seen',
      }),
    );
  }
  return { files, skipped };
}

/** A skipped entry as the API shows it: its path readable (bytes that are not UTF-8 as U+FFFD). */
export function skippedEntry(path: string, verdict: SkipVerdict): SkippedFile {
  const shown = displayName(path);
  return { path: shown, file_name: shown, ...verdict };
}

// dev is compared too (beyond size/mtime/ctime/ino/kind): an inode number is only unique within one filesystem.
function isNewOrChanged(prev: FileEntry | undefined, now: FileEntry): boolean {
  return (
    prev === undefined ||
    prev.kind !== now.kind ||
    prev.size !== now.size ||
    prev.mtimeNs !== now.mtimeNs ||
    prev.ctimeNs !== now.ctimeNs ||
    prev.ino !== now.ino ||
    prev.dev !== now.dev
  );
}

// Kind checks come before limits so that links and devices never use up the file or byte budget.
function whyNotStored(entry: FileEntry, storedFiles: number, storedBytes: number, limits: WorkspaceLimits): SkipVerdict | undefined {
  if (entry.kind === 'symlink') {
    return { reason: 'symlink', detail: 'symbolic link: links are never followed' };
  }
  if (entry.kind === 'other') {
    return { reason: 'special_file', detail: 'special file (FIFO, socket or device): only regular files are stored' };
  }
  if (entry.nlink > 1) {
    // A hard link made inside the workspace can name any file the agent could reach, e.g. /etc/passwd.
    return {
      reason: 'hard_link',
      detail: `hard link (${entry.nlink} names for one file): its content may belong to a file outside the workspace`,
    };
  }
  if (entry.size > limits.maxFileBytes) {
    return { reason: 'file_too_large', detail: `${entry.size} bytes is over the per-file limit of ${limits.maxFileBytes} bytes` };
  }
  if (storedFiles >= limits.maxFiles) {
    return { reason: 'too_many_files', detail: `${limits.maxFiles} files were already stored for this run, the most one run may store` };
  }
  if (storedBytes + entry.size > limits.maxTotalBytes) {
    return {
      reason: 'total_bytes_exceeded',
      detail: `${entry.size} bytes would bring this run's total to ${storedBytes + entry.size} bytes, over the limit of ${limits.maxTotalBytes} bytes`,
    };
  }
  return undefined;
}
