/**
 * Asking a remote, before anything is recorded, whether the request can be served: the repository
 * exists, the credential opens it, the ref names something. One `git ls-remote`: a round trip,
 * no objects fetched, so a bad request gets its 4xx at once.
 */
import { RepositoryUnusableError } from './errors.js';
import { runGit } from './git.js';
import { remoteError, type RemoteAccess } from './remote.js';
import { isCommitId } from './repo-url.js';

/** What to fetch: a full ref name or a commit id, what it points at now, and the remote's default branch. */
export interface RemoteHead {
  /** `refs/heads/x`, `refs/tags/x` or a commit id. */
  fetch: string;
  /** The commit (or tag) id the remote advertised; undefined for a commit id asked for directly. */
  id: string | undefined;
  /** The branch the workspace is on: the ref's branch, the default branch, or undefined (a tag or commit). */
  branch: string | undefined;
  /** The remote's default branch (its HEAD), the base of pull requests. */
  defaultBranch: string | undefined;
}

/**
 * Resolves `ref` (omitted: the default branch) on the remote; throws the typed error a caller can act on.
 * @example const head = await inspectRemote(access, 'https://github.com/o/r.git', 'main', { timeoutMs: 30_000 });
 */
export async function inspectRemote(
  access: RemoteAccess,
  shown: string,
  ref: string | undefined,
  opts: { hasCredential: boolean; timeoutMs: number; signal?: AbortSignal; path?: string | undefined },
): Promise<RemoteHead> {
  const patterns = ref === undefined || isCommitId(ref) ? ['HEAD'] : ['HEAD', `refs/heads/${ref}`, `refs/tags/${ref}`];
  let out: string;
  try {
    out = (
      await runGit(['ls-remote', '--symref', '--', access.target, ...patterns], {
        config: access.config,
        protocols: access.protocols,
        timeoutMs: opts.timeoutMs,
        signal: opts.signal,
        path: opts.path,
        maxOutputBytes: 4 * 1024 * 1024,
      })
    ).toString('utf8');
  } catch (err) {
    throw remoteError(err, shown, ref, opts.hasCredential);
  }
  const refs = new Map<string, string>();
  let defaultBranch: string | undefined;
  for (const line of out.split('\n')) {
    const symref = /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(line);
    if (symref) defaultBranch = symref[1];
    const plain = /^([0-9a-f]{40,64})\t(\S+)$/.exec(line);
    if (plain) refs.set(plain[2] as string, plain[1] as string);
  }
  if (ref !== undefined && isCommitId(ref)) return { fetch: ref, id: undefined, branch: undefined, defaultBranch };
  if (ref === undefined) {
    const id = refs.get('HEAD');
    if (id === undefined || defaultBranch === undefined) {
      throw new RepositoryUnusableError(
        'repository_invalid',
        `${shown} has no commits on a default branch; name one with repository.ref.`,
        {
          field: 'repository.ref',
        },
      );
    }
    return { fetch: `refs/heads/${defaultBranch}`, id, branch: defaultBranch, defaultBranch };
  }
  const branchId = refs.get(`refs/heads/${ref}`);
  if (branchId !== undefined) return { fetch: `refs/heads/${ref}`, id: branchId, branch: ref, defaultBranch };
  const tagId = refs.get(`refs/tags/${ref}^{}`) ?? refs.get(`refs/tags/${ref}`);
  if (tagId !== undefined) return { fetch: `refs/tags/${ref}`, id: tagId, branch: undefined, defaultBranch };
  throw new RepositoryUnusableError(
    'repository_ref_not_found',
    `${shown} has no branch or tag "${ref}"; check repository.ref (a branch, a tag, or a full commit id).`,
    { field: 'repository.ref' },
  );
}
