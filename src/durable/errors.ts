/** The errors of durable session state, mapped to HTTP with the rest (errors/index.ts). */
import { AppError } from '../errors/index.js';

/** Another worker (or another request here) holds the session: one invocation at a time (409). */
export class SessionLeaseHeldError extends AppError {
  readonly status = 409;
  readonly code = 'conflict';
  constructor(sessionId: string, expiresInS: number) {
    super(
      `Session ${sessionId} is already running an invocation (held by a worker for up to ${expiresInS} s more); ` +
        'wait for it to finish, or use another session_id.',
      { retry_after_s: expiresInS },
    );
  }
  override headers(): Record<string, string> {
    return { 'Retry-After': String((this.details.retry_after_s as number) || 1) };
  }
}

/**
 * The saved state of a session failed its checks (a checksum, a missing part, a malformed
 * record): it is never used, and the invocation ends with this code.
 */
export class SessionStateDamagedError extends AppError {
  readonly status = 422;
  readonly code = 'session_state_damaged';
  constructor(sessionId: string, what: string) {
    super(
      `The saved state of session ${sessionId} is damaged (${what}), so it was not used. ` +
        'Start a new session (omit session_id); the operator can find the saved state under sessions/' +
        `${sessionId}/saved/ in the session store.`,
    );
  }
}

/** The session store could not be read or written (502: the fault is between the service and its storage). */
export class SessionStoreUnavailableError extends AppError {
  readonly status = 502;
  readonly code = 'session_store_unavailable';
}
