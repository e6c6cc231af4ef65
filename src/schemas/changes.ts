/**
 * What an invocation changed in its workspace (`output.changes`), the repository a session
 * started from (`output.repository`) and the branch it pushed (`output.push`).
 */
import { z } from 'zod';

const count = (description: string) => z.number().int().nonnegative().meta({ description });

export const ChangedPathSchema = z
  .object({
    path: z.string().meta({ description: 'Path in the workspace (the new path of a rename).' }),
    status: z.enum(['added', 'modified', 'deleted', 'renamed']),
    from: z.string().optional().meta({ description: 'The old path of a rename.' }),
    binary: z.boolean().meta({ description: 'A binary file: listed here and stored, but not in changes.patch.' }),
    additions: count('Lines added (0 for binary files).'),
    deletions: count('Lines removed (0 for binary files).'),
  })
  .meta({ id: 'ChangedPath', description: 'One path the invocation added, modified, deleted or renamed.' });

/** The stored patch: a file of the invocation like the others, with its download link. */
const PatchFileSchema = z.looseObject({
  file_name: z.literal('changes.patch'),
  size: z.number().int().nonnegative(),
  key: z.string(),
  download_url: z.string(),
});

export const ChangesSchema = z
  .object({
    since: z.enum(['repository', 'previous_invocation', 'session_start']).meta({
      description:
        "What the changes are against: `repository` the commit the session cloned (its first invocation), `previous_invocation` the workspace as the previous invocation (or an upload) left it, `session_start` a new session's empty or uploaded workspace.",
    }),
    files: z.array(ChangedPathSchema).meta({ description: 'Changed paths in path order; at most CCA_MAX_LISTED_FILES of `files_total`.' }),
    files_total: count('Changed paths, listed or not.'),
    counts: z.object({ added: count('Added.'), modified: count('Modified.'), deleted: count('Deleted.'), renamed: count('Renamed.') }),
    patch: PatchFileSchema.nullable().meta({
      description:
        '`changes.patch`: a unified diff of the text changes, for `git apply` on the starting point (binary files are listed, not patched); null when no text changed or it could not be stored (`patch_note` says why).',
    }),
    patch_note: z.string().optional(),
  })
  .meta({
    id: 'Changes',
    description:
      "What the invocation changed in the workspace. Files ignored by the workspace's .gitignore, hard links and files over the per-file limit are not counted.",
  });
export type Changes = z.infer<typeof ChangesSchema>;

export const RepositoryInfoSchema = z
  .object({
    url: z.string().meta({ description: 'The repository the session was cloned from (never with a credential).' }),
    ref: z.string().nullable().meta({ description: 'The ref asked for; null: the default branch.' }),
    branch: z.string().nullable().meta({ description: 'The branch checked out; null for a tag or commit.' }),
    commit: z.string().meta({ description: 'The commit the session started from.' }),
  })
  .meta({ id: 'RepositoryInfo', description: 'The repository a session started from.' });
export type RepositoryInfo = z.infer<typeof RepositoryInfoSchema>;

export const PushResultSchema = z
  .object({
    branch: z.string(),
    status: z.enum(['pushed', 'no_changes', 'failed', 'skipped']).meta({
      description:
        '`no_changes`: nothing to commit; `failed`: see `error` (the run itself is unaffected); `skipped`: the run did not complete.',
    }),
    commit: z.string().nullable().meta({ description: 'The pushed commit.' }),
    error: z.string().optional(),
    pull_request: z
      .object({
        status: z.enum(['opened', 'existing', 'failed', 'skipped']),
        number: z.number().int().optional(),
        url: z.string().optional(),
        error: z.string().optional(),
      })
      .optional(),
  })
  .meta({ id: 'PushResult', description: 'The branch the service committed and pushed the changes to, and the pull request.' });
export type PushResult = z.infer<typeof PushResultSchema>;
