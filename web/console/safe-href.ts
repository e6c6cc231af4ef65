/** Links built from what the API sent: only web links, never `javascript:`, `data:` or an empty href. */

/**
 * `u` resolved against `base` when it is an http: or https: URL; undefined otherwise (not a string,
 * empty, unparsable, or another scheme), so the caller shows plain text instead of a link.
 * @example safeHref('/files/k?sig=1', location.href) // 'https://host/files/k?sig=1'
 */
export function safeHref(u: unknown, base: string): string | undefined {
  // An empty href would point at the console itself.
  if (typeof u !== 'string' || u.trim() === '') return undefined;
  let url: URL;
  try {
    url = new URL(u, base);
  } catch {
    return undefined;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
}
