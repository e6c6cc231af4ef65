/**
 * API key middleware: the key from `x-api-key` or `Authorization: Bearer`, then the key's token
 * bucket and, on the routes that start work or store files, its daily quota, answered exactly as
 * API Gateway does (403 / 429 bodies and Retry-After).
 */
import type { MiddlewareHandler } from 'hono';
import { ApiKeyForbiddenError, QuotaExceededError, ThrottledError } from '../errors/index.js';
import type { KeyRepo } from '../keys/index.js';
import type { CallerEnv } from '../runtime/invoke-route.js';
import type { RequestLimiter } from './limits.js';

export interface AuthDeps {
  keys: KeyRepo;
  limiter: RequestLimiter;
  /** Milliseconds since the epoch; injectable so limit tests are exact. */
  now: () => number;
  /**
   * Whether the requests it guards spend the daily quota: true on invocations (`POST /invoke`,
   * `POST /invocations`) and uploads, which start runs or store files; false on reads and steering,
   * which only the token bucket limits (a caller polling an async run would otherwise spend its runs).
   */
  quota: boolean;
}

/** The key a request presents, or undefined. `x-api-key` wins over a bearer token. */
export function presentedKey(headers: { header(name: string): string | undefined }): string | undefined {
  const direct = headers.header('x-api-key');
  if (direct !== undefined) return direct.trim();
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.header('authorization') ?? '');
  return match?.[1];
}

/**
 * Authenticates every request it guards and takes a token of the key's bucket (and one of its
 * daily quota when `deps.quota`).
 * @example app.use('/sessions/*', apiKeyAuth({ keys, limiter, now: Date.now, quota: false }));
 */
export function apiKeyAuth(deps: AuthDeps): MiddlewareHandler<CallerEnv> {
  return async function apiKeyAuthMiddleware(c, next) {
    const presented = presentedKey(c.req);
    // The database is read on every request: a revoked key stops at once.
    const key = presented ? deps.keys.authenticate(presented) : undefined;
    if (key === undefined) throw new ApiKeyForbiddenError();
    const decision = deps.limiter.take(key, deps.now(), deps.quota);
    if (!decision.ok) {
      throw decision.kind === 'throttled' ? new ThrottledError(decision.retryAfterS) : new QuotaExceededError(decision.retryAfterS);
    }
    c.set('caller', {
      keyId: key.id,
      maxConcurrent: key.max_concurrent,
      maxQueued: key.max_queued,
      caps: {
        maxTimeoutS: key.max_timeout_s,
        maxTurns: key.max_turns,
        maxBudgetUsd: key.max_budget_usd,
        maxMemoryMb: key.max_memory_mb,
        maxPids: key.max_pids,
        maxCpus: key.max_cpus,
        maxDiskMb: key.max_disk_mb,
        maxUploadMb: key.max_upload_mb,
        maxUploadFiles: key.max_upload_files,
      },
      budgets: { dayUsd: key.budget_usd_day, monthUsd: key.budget_usd_month },
    });
    await next();
  };
}
