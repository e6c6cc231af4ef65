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

  /** Extra response headers (e.g. Retry-After). */
  headers(): Record<string, string> {
    return {};
  }
}

/**
 * The errors API Gateway itself answers, with its exact bodies: a client written against the
 * original sample's API Gateway sees the same thing here.
 */
abstract class GatewayError extends AppError {
  override toJSON(): Record<string, unknown> {
    return { message: this.message };
  }
}

/** Missing, unknown or revoked API key: 403 `{"message":"Forbidden"}`. */
export class ApiKeyForbiddenError extends GatewayError {
  readonly status = 403;
  readonly code = 'forbidden';
  constructor() {
    super('Forbidden');
  }
}

/** Over the key's token bucket: 429 `{"message":"Too Many Requests"}` with Retry-After. */
export class ThrottledError extends GatewayError {
  readonly status = 429;
  readonly code = 'throttled';
  constructor(readonly retryAfterS: number) {
    super('Too Many Requests');
  }
  override headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterS) };
  }
}

/** Over the key's daily quota: 429 `{"message":"Limit Exceeded"}` with Retry-After (next 00:00 UTC). */
export class QuotaExceededError extends GatewayError {
  readonly status = 429;
  readonly code = 'quota_exceeded';
  constructor(readonly retryAfterS: number) {
    super('Limit Exceeded');
  }
  override headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterS) };
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

/** The body is of a type the route does not take (415); `accepted` lists the ones it does. */
export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
}

/** A signed link is invalid or expired, or a key is missing (403). */
export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly code = 'forbidden';
}

/** A credential is needed and none was sent (401); `WWW-Authenticate` names the scheme. */
export class UnauthorizedError extends AppError {
  readonly status = 401;
  readonly code = 'unauthorized';
  override headers(): Record<string, string> {
    return { 'WWW-Authenticate': 'Bearer' };
  }
}

/** The thing asked for does not exist, or is not the caller's (404). */
export class NotFoundError extends AppError {
  readonly status = 404;
  readonly code = 'not_found';
}

/**
 * The path exists but not with this method (405): `allow` lists the methods it takes, sent in the
 * `Allow` header and the body.
 */
export class MethodNotAllowedError extends AppError {
  readonly status = 405;
  readonly code = 'method_not_allowed';
  constructor(
    method: string,
    path: string,
    readonly allow: readonly string[],
  ) {
    super(`${path} does not take ${method}; it takes ${allow.join(', ')}.`, { allow: [...allow] });
  }
  override headers(): Record<string, string> {
    return { Allow: this.allow.join(', ') };
  }
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

/** A refusal that says when to try again: `retry_after_s` in the body, `Retry-After` in the headers. */
abstract class RetryLaterError extends AppError {
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(message, { retry_after_s: retryAfterS });
  }
  override headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterS) };
  }
}

/** Every run slot and the queue are taken (503 with Retry-After). */
export class BusyError extends RetryLaterError {
  readonly status = 503;
  readonly code = 'busy';
}

/** The API key already has as many runs waiting for a slot as it may (429 with Retry-After). */
export class KeyQueueFullError extends RetryLaterError {
  readonly status = 429;
  readonly code = 'key_queue_full';
}

/** The API key already downloads as many session archives at once as it may (429 with Retry-After). */
export class ArchivesBusyError extends RetryLaterError {
  readonly status = 429;
  readonly code = 'archives_busy';
}

/**
 * A webhook delivery was sent again by its caller less than a minute ago, or its owner has as many
 * deliveries pending as it may (429 with Retry-After): retries cannot make a backlog without bound.
 */
export class WebhookRetryLimitedError extends RetryLaterError {
  readonly status = 429;
  readonly code = 'webhook_retry_limited';
}

/** The API key's stored files have reached its storage quota (507): a new run could store nothing. */
export class StorageQuotaError extends AppError {
  readonly status = 507;
  readonly code = 'storage_quota_exceeded';
}

/**
 * The API key has spent its budget for the UTC day or month (402 with Retry-After until it
 * resets). Not 429: the seed's clients read 429 as "slow down", and retrying soon does not help.
 */
export class BudgetExceededError extends RetryLaterError {
  readonly status = 402;
  readonly code = 'budget_exceeded';
  constructor(message: string, retryAfterS: number, details: Record<string, unknown>) {
    super(message, retryAfterS);
    Object.assign(this.details, details);
  }
}

/** What is left of the key's budget is held by its runs in progress (429 with Retry-After): retry when one ends. */
export class BudgetHeldError extends RetryLaterError {
  readonly status = 429;
  readonly code = 'budget_held';
  constructor(message: string, retryAfterS: number, details: Record<string, unknown>) {
    super(message, retryAfterS);
    Object.assign(this.details, details);
  }
}

/** Maps any thrown value to a status, JSON body and headers; unknown errors become an opaque 500. */
export function toErrorResponse(err: unknown): { status: number; body: Record<string, unknown>; headers: Record<string, string> } {
  if (err instanceof AppError) return { status: err.status, body: err.toJSON(), headers: err.headers() };
  return {
    status: 500,
    headers: {},
    body: { message: 'Internal error: the service logged the cause. Retry, and report it if it persists.', code: 'internal' },
  };
}
