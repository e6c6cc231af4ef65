/** When the console reopens a broken event stream. */
import { ApiError } from './api-error.js';

/** The wait before reconnect `attempt` (1, 2, …): 1 s, 2 s, 4 s, 8 s, then 15 s. */
export function reconnectDelay(attempt: number): number {
  return Math.min(15_000, 1000 * 2 ** Math.max(0, attempt - 1));
}

/** Whether a broken follow is worth another try: a dropped connection, a busy or restarting server; never a refusal. */
export function retryable(err: unknown): boolean {
  return !(err instanceof ApiError) || err.status === 408 || err.status === 429 || err.status >= 500;
}
