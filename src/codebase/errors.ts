/**
 * Why a repository could not be used, as typed errors the one error mapper turns into statuses:
 * the caller's mistakes (a ref that does not exist, a credential that does not open it, a host the
 * deployment does not allow, a repository over the limit) are 4xx; a host that does not answer is 502.
 */
import { AppError } from '../errors/index.js';

/** The status of each repository error's code: what the errors answer, and what a synchronous caller gets when the clone fails in the run. */
export const REPOSITORY_ERROR_STATUS = Object.freeze({
  repository_host_not_allowed: 403,
  repository_not_found: 422,
  repository_ref_not_found: 422,
  repository_auth_failed: 422,
  repository_invalid: 422,
  repository_too_large: 413,
  repository_unreachable: 502,
} as const);

/** The deployment's egress rules do not let the service fetch from this host (403). */
export class RepositoryHostNotAllowedError extends AppError {
  readonly code = 'repository_host_not_allowed';
  readonly status = REPOSITORY_ERROR_STATUS[this.code];
}

/** The repository or ref cannot be used as named: not found, unknown ref, credential refused (422). */
export class RepositoryUnusableError extends AppError {
  readonly status: number;
  constructor(
    readonly code: 'repository_not_found' | 'repository_ref_not_found' | 'repository_auth_failed' | 'repository_invalid',
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(message, details);
    this.status = REPOSITORY_ERROR_STATUS[code];
  }
}

/** The repository is larger than the service fetches (413). */
export class RepositoryTooLargeError extends AppError {
  readonly code = 'repository_too_large';
  readonly status = REPOSITORY_ERROR_STATUS[this.code];
}

/** The host did not answer, or not in time (502). */
export class RepositoryUnreachableError extends AppError {
  readonly code = 'repository_unreachable';
  readonly status = REPOSITORY_ERROR_STATUS[this.code];
}
