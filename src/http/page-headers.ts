/**
 * What the service's own pages (the console at `/`, the docs at `/docs`) are served with: this
 * origin's scripts, styles and API only, nothing inline, no forms posted anywhere, never framed,
 * and no Referer, so a page's address never travels with the requests it makes.
 */

/** The Content-Security-Policy of every page. */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "manifest-src 'none'",
  "worker-src 'none'",
].join('; ');

/** Headers every answer of a page carries. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': PAGE_CSP,
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-cache',
};
