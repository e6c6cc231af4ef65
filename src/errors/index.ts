/**
 * Typed errors with a stable `code`. One place (`toErrorResponse`) maps them to HTTP:
 * domain code throws these, route files never build error bodies by hand.
 */
export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** Extra fields merged into the JSON body (e.g. the list of valid values). */
  readonly details: Record<string, unknown>;

  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }

  /** The JSON body: `message` first, like API Gateway's own errors, then a stable code. */
  toJSON(): Record<string, unknown> {
    return { message: this.message, code: this.code, ...this.details };
  }
}

/** The request is malformed or names something that does not exist (400). */
export class ValidationError extends AppError {
  readonly status = 400;
  readonly code = 'invalid_request';
}

/** The body is larger than the configured limit (413). */
export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  readonly code = 'payload_too_large';
}

/** A signed link is invalid or expired, or a key is missing (403). */
export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly code = 'forbidden';
}

/** The thing asked for does not exist, or is not the caller's (404). */
export class NotFoundError extends AppError {
  readonly status = 404;
  readonly code = 'not_found';
}

/** The session already has a run in progress (409). */
export class ConflictError extends AppError {
  readonly status = 409;
  readonly code = 'conflict';
}

/** The service cannot run the request as configured, e.g. no model provider (503). */
export class UnavailableError extends AppError {
  readonly status = 503;
  readonly code = 'unavailable';
}

/** Maps any thrown value to a status and JSON body; unknown errors become an opaque 500. */
export function toErrorResponse(err: unknown): { status: number; body: Record<string, unknown> } {
  if (err instanceof AppError) return { status: err.status, body: err.toJSON() };
  return {
    status: 500,
    body: { message: 'Internal error: the service logged the cause. Retry, and report it if it persists.', code: 'internal' },
  };
}
