/**
 * Which methods a path takes, from the routes as they are declared: what a 405 lists in `Allow`
 * when a path exists with other methods (`/invoke` asked with GET), rather than a 404 that says it does not.
 */

/** A declared route: its method and path template (`/sessions/{session_id}` or Hono's `/sessions/:session_id`). */
export interface DeclaredRoute {
  method: string;
  path: string;
}

/**
 * The methods of `routes` whose template matches `path` exactly, upper case, in a stable order
 * (HEAD beside GET: a server that answers GET answers HEAD too); empty when no template matches.
 * @example allowedMethods([{ method: 'POST', path: '/invoke' }], '/invoke') // ['POST']
 */
export function allowedMethods(routes: readonly DeclaredRoute[], path: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    const method = route.method.toUpperCase();
    if (method === 'ALL') continue; // middleware, not a route
    if (templatePattern(route.path).test(path)) methods.add(method);
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b) || a.localeCompare(b));
}

const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** `/sessions/{session_id}/files` and `/sessions/:session_id/files` alike: a segment per parameter; `*` any rest. */
function templatePattern(template: string): RegExp {
  const source = template
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (/^\{\w+\}$/.test(segment) || /^:\w+$/.test(segment)) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}$`);
}
