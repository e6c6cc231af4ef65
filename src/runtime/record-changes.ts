/**
 * After the run: the workspace is recorded in the session's private git dir, and what changed
 * since the invocation's starting point becomes `output.changes` and the `changes.patch` artifact.
 * Nothing here fails an invocation: a record that could not be made is reported in `errors`.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ArtifactStore, UploadedFile } from '../artifacts/index.js';
import {
  changedPaths,
  EMPTY_TREE,
  markRecorded,
  recordWorkspace,
  textPatch,
  type ChangedPath,
  type LeftOut,
  type Patch,
} from '../codebase/index.js';
import type { Config } from '../config/index.js';
import type { Changes } from '../schemas/changes.js';
import { displayName, skippedEntry, type SessionDirs, type SkippedFile } from '../workspace/index.js';

/** What the record found: the output's `changes`, the paths whose new content is to be stored, the new record. */
export interface RecordedChanges {
  changes: Changes | undefined;
  /** Paths added, modified or renamed (to be stored), in path order. */
  written: string[];
  /** Entries left out of the record (hard links, files over the limit), with why. */
  leftOut: SkippedFile[];
  /** The commit that records the workspace now; undefined if the record failed. */
  head: string | undefined;
  /** The patch to store once the files are (`storePatch`): they come first in the storage quota. */
  patchBytes?: Buffer | undefined;
  error?: string | undefined;
}

/**
 * Records the workspace and compares it with `base`; stores the patch under `<prefix>.changes.patch`.
 * @example const recorded = await recordChanges({ config, store }, { dirs, base, since: 'repository', prefix, baseUrl, invocationId });
 */
export async function recordChanges(
  deps: { config: Config; store: ArtifactStore },
  input: {
    dirs: SessionDirs;
    base: string;
    since: Changes['since'];
    prefix: string;
    baseUrl: string;
    invocationId: string;
  },
): Promise<RecordedChanges> {
  const { config } = deps;
  const { dirs, base } = input;
  let head: string;
  let changed: ChangedPath[];
  let leftOut: SkippedFile[];
  let patchMade: Promise<Patch | { kind: 'error'; err: unknown }> | undefined;
  let changedMade: Promise<ChangedPath[]> | undefined;
  try {
    const recorded = await recordWorkspace({
      gitDir: dirs.git,
      workspace: dirs.workspace,
      maxFileBytes: config.limits.maxFileBytes,
      message: `invocation ${input.invocationId}`,
      // The empty tree is in every repository, and not an object a ref may name.
      keep: base === EMPTY_TREE ? undefined : base,
      alsoClean: [dirs.home, dirs.tmp],
      // The patch and the list compare trees: both start while the record's commit is written.
      onTree: (tree) => {
        patchMade = textPatch(dirs.git, base, tree, config.git.maxPatchBytes).catch((err: unknown) => ({ kind: 'error' as const, err }));
        changedMade = changedPaths(dirs.git, base, tree);
        changedMade.catch(() => undefined);
      },
    });
    head = recorded.commit;
    await markRecorded(dirs.git);
    leftOut = recorded.leftOut.map((l) => skippedEntry(l.path, verdictOf(l, config.limits.maxFileBytes)));
    changed = await (changedMade ?? changedPaths(dirs.git, base, head));
  } catch (err) {
    return {
      changes: undefined,
      written: [],
      leftOut: [],
      head: undefined,
      error: `The workspace's changes could not be recorded: ${String(err)}`,
    };
  }

  let patchBytes: Buffer | undefined;
  let note: string | undefined;
  try {
    const made = await (patchMade ?? textPatch(dirs.git, base, head, config.git.maxPatchBytes));
    if (made.kind === 'error') throw made.err;
    if (made.kind === 'patch') patchBytes = made.bytes;
    else if (made.kind === 'too_large') {
      note = `The patch is over ${Math.round(made.limit / 1048576)} MB (CCA_MAX_PATCH_MB), so it was not stored; the changed files are.`;
    } else if (changed.length > 0) {
      note = 'No text changed (binary files and deletions of binary files only).';
    }
  } catch (err) {
    note = `The patch could not be made: ${err instanceof Error ? err.message : String(err)}`;
  }

  const limit = Math.max(0, config.limits.maxListedFiles);
  const shown = changed.map((c) => ({ ...c, path: displayName(c.path), ...(c.from !== undefined ? { from: displayName(c.from) } : {}) }));
  const counts = { added: 0, modified: 0, deleted: 0, renamed: 0 };
  for (const c of changed) counts[c.status] += 1;
  return {
    changes: {
      since: input.since,
      files: shown.slice(0, limit),
      files_total: changed.length,
      counts,
      patch: null,
      ...(note !== undefined ? { patch_note: note } : {}),
    },
    patchBytes,
    written: changed.filter((c) => c.status !== 'deleted').map((c) => c.path),
    leftOut,
    head,
  };
}

function verdictOf(l: LeftOut, maxFileBytes: number) {
  if (l.reason === 'nested_repository') {
    return {
      reason: 'nested_repository' as const,
      detail:
        "a git repository inside the workspace: not recorded or stored (its changes are not the session's; commit them in it, or remove its .git)",
    };
  }
  if (l.reason === 'hard_link')
    return { reason: 'hard_link' as const, detail: 'hard link: its content may belong to a file outside the workspace' };
  if (l.reason === 'special_file') return { reason: 'special_file' as const, detail: 'special file: only regular files are stored' };
  return { reason: 'file_too_large' as const, detail: `${l.size} bytes is over the per-file limit of ${maxFileBytes} bytes` };
}

/**
 * Stores the patch beside the invocation's files (`<prefix>.changes.patch`), if the key's storage
 * quota has room for it after them; returns the changes with its link, or with why it is not there.
 * @example output.changes = await storePatch(store, recorded, { prefix, baseUrl, admit, record });
 */
export async function storeRecordedPatch(
  store: ArtifactStore,
  recorded: RecordedChanges,
  input: {
    prefix: string;
    baseUrl: string;
    admit?: ((size: number) => boolean) | undefined;
    record?: ((file: UploadedFile) => void) | undefined;
  },
): Promise<Changes | undefined> {
  const { changes, patchBytes } = recorded;
  if (changes === undefined || patchBytes === undefined) return changes;
  if (input.admit !== undefined && !input.admit(patchBytes.length)) {
    return {
      ...changes,
      patch_note: "The patch was not stored: the key's storage quota has no room left for it (the changed files came first).",
    };
  }
  try {
    const patch = await storePatch(store, `${input.prefix}.changes.patch`, patchBytes, input.baseUrl);
    input.record?.(patch as UploadedFile);
    return { ...changes, patch };
  } catch (err) {
    return { ...changes, patch_note: `The patch could not be stored: ${err instanceof Error ? err.message : String(err)}` };
  }
}

async function storePatch(store: ArtifactStore, key: string, bytes: Buffer, baseUrl: string): Promise<NonNullable<Changes['patch']>> {
  const contentType = 'text/x-diff; charset=utf-8';
  await store.put(key, Readable.from([bytes]), { size: bytes.length, contentType });
  const links = await store.links(key, baseUrl);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { file_name: 'changes.patch', key, size: bytes.length, sha256, content_type: contentType, ...links };
}
