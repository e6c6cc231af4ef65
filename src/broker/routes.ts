/**
 * The model API calls a run may make through the broker: the ones Claude Code makes, nothing else.
 * The broker adds the operator's credential, so a path it forwarded blindly would hand the run the
 * rest of that credential's API (Bedrock's control plane, the Anthropic Files and Batches APIs, a
 * gateway's admin routes). Paths with dot segments or encoded separators are refused outright: they
 * could climb out of a base URL's path once resolved.
 */

/** One allowed call: a method and a pattern for the path (without the query). */
type Route = readonly [method: string, path: RegExp];

const MODEL_ID = '[A-Za-z0-9._:%-]{1,256}';

const ANTHROPIC: readonly Route[] = [
  ['POST', /^\/v1\/messages$/],
  ['POST', /^\/v1\/messages\/count_tokens$/],
  ['GET', /^\/v1\/models$/],
  ['GET', new RegExp(`^/v1/models/${MODEL_ID}$`)],
];

// Not Converse (`converse`, `converse-stream`): Claude Code never calls it, and its usage (camelCase,
// in `metadata` events) is not what the meter reads, so a run could spend there unmetered.
const BEDROCK: readonly Route[] = [
  ['POST', new RegExp(`^/model/${MODEL_ID}/(invoke|invoke-with-response-stream|count-tokens)$`)],
  ['GET', /^\/inference-profiles$/],
  ['GET', new RegExp(`^/inference-profiles/${MODEL_ID}$`)],
  ['GET', /^\/foundation-models$/],
  ['GET', new RegExp(`^/foundation-models/${MODEL_ID}$`)],
];

/**
 * Whether `target` (path and query, as the run sent it) is a token count, which costs nothing and
 * is not metered. Judged on the path alone, exactly: a query such as `?x=/count_tokens` on a
 * messages call must not pass for one.
 * @example isTokenCount('anthropic', '/v1/messages/count_tokens?beta=true') // true
 */
export function isTokenCount(kind: 'anthropic' | 'bedrock', target: string): boolean {
  const path = target.split('?', 1)[0] ?? '';
  return kind === 'anthropic' ? path === '/v1/messages/count_tokens' : new RegExp(`^/model/${MODEL_ID}/count-tokens$`).test(path);
}

/**
 * Why `method path` may not go through the broker for a provider of `kind`, or undefined when it may.
 * @example refusedCall('anthropic', 'GET', '/v1/files') // 'GET /v1/files is not a call Claude Code makes'
 */
export function refusedCall(kind: 'anthropic' | 'bedrock', method: string, target: string): string | undefined {
  const path = target.split('?', 1)[0] ?? '';
  // "." or ".." segments, encoded ones, encoded separators, empty segments: a path that means
  // something else once a server or URL parser resolves it.
  if (/(^|\/)\.{1,2}(\/|$)|%2e|%2f|%5c|\\|\/\//i.test(path)) return `${method} ${path} is not a plain path`;
  const routes = kind === 'anthropic' ? ANTHROPIC : BEDROCK;
  if (routes.some(([m, pattern]) => m === method && pattern.test(path))) return undefined;
  return `${method} ${path} is not a call Claude Code makes`;
}
