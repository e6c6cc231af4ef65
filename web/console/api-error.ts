/** The error the console's API calls throw: kept apart from api.ts so Node tests can import it. */

/** A refused call: the status and the sentence the API answered (or one of ours for a 403). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
