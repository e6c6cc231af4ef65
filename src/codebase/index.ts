/**
 * A repository as a session's workspace, and what a run changed as a diff and a branch: URL and
 * credential rules, the clone outside the sandbox, the session's private git dir (the record no
 * run can rewrite), the changes and patch between two records, commit and push, pull requests.
 * Every git command runs with a fixed, safe environment (git.ts).
 */
export { parseRepositoryUrl, assertRef, isCommitId, sourceText, type RepositorySource } from './repo-url.js';
export { openRemote, remoteError, DEFAULT_GIT_USERNAME, type GitCredential, type RemoteAccess, type RemotePolicy } from './remote.js';
export { inspectRemote, type RemoteHead } from './inspect.js';
export { cloneRepository, progressOf, type CloneProgress, type Cloned } from './clone.js';
export {
  EMPTY_TREE,
  headOf,
  initGitDir,
  writeShadowConfig,
  markRecorded,
  markWorkspaceChanged,
  recordWorkspace,
  startingPoint,
  type LeftOut,
} from './shadow.js';
export { changedPaths, textPatch, withoutBinarySections, type ChangedPath, type Patch } from './changes.js';
export { readOrigin, writeOrigin } from './origin.js';
export { pushBranch, pushParent, PushRejectedError, type GitAuthor } from './push.js';
export { GitCommandError, runGit } from './git.js';
export {
  REPOSITORY_ERROR_STATUS,
  RepositoryHostNotAllowedError,
  RepositoryTooLargeError,
  RepositoryUnreachableError,
  RepositoryUnusableError,
} from './errors.js';
export { createPullRequest, defaultBranch, GitHubError, NotAGitHubRepoError, parseGitHubRepo, type PullRequest } from './github.js';
