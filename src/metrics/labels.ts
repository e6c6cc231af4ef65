/**
 * Label values kept to small, known sets: each distinct value is a time series the scraper stores
 * forever, so nothing a caller chooses (a path, a method name, a session id) becomes one as it is.
 */

/** The `key_id` of runs without an API key (`cca runtime`, where AgentCore authenticates callers). */
export const NO_KEY = '-';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The key's public id (never its secret), or `-` without a key.
 * @example keyLabel(undefined) // '-'
 */
export function keyLabel(keyId: string | undefined): string {
  return keyId ?? NO_KEY;
}

/**
 * A request method of the HTTP standard as it is; any other token (a client may send any) as `other`.
 * @example methodLabel('PROPFIND') // 'other'
 */
export function methodLabel(method: string): string {
  const upper = method.toUpperCase();
  return METHODS.has(upper) ? upper : 'other';
}

/**
 * An HTTP status as its number, or `other` outside 100-599.
 * @example statusLabel(404) // '404'
 */
export function statusLabel(status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : 'other';
}
