/** Typed failures of the GitHub client: what went wrong, worded for the caller, never with the token. */
import { AppError, ValidationError } from '../errors/index.js';

/** Why a GitHub call failed. */
export type GitHubFailure =
  | 'unauthorized' // 401: the token is wrong, expired or revoked
  | 'forbidden' // 403: the token may not do this (or SSO, or a secondary rate limit)
  | 'not_found' // 404: no such repository, or the token cannot see it
  | 'validation' // 422: GitHub refused the pull request (no commits, bad head, ...)
  | 'rate_limited' // 403/429 with the rate limit used up
  | 'network' // no connection (refused address, DNS, TLS, reset)
  | 'timeout'
  | 'unexpected'; // another status, or a body that is not what GitHub sends

/**
 * A GitHub API call failed (502: the service's upstream). `reason` says which way; `githubStatus`
 * is GitHub's HTTP status when there was an answer.
 */
export class GitHubError extends AppError {
  readonly status = 502;
  readonly code = 'github_error';
  constructor(
    readonly reason: GitHubFailure,
    message: string,
    readonly githubStatus?: number,
  ) {
    super(message, { reason, ...(githubStatus !== undefined ? { github_status: githubStatus } : {}) });
  }
}

/** A repository URL that does not name a GitHub repository (`https://HOST/OWNER/REPO[.git]`). */
export class NotAGitHubRepoError extends ValidationError {
  override readonly code = 'invalid_request';
}
