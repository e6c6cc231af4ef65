/**
 * Which of the Lambda's routes an API Gateway event asks for. The paths are the OpenAPI document's
 * own (the Lambda serves a subset of the local gateway's routes, and `router.test.ts` holds them to
 * the document). An event names its route by its API Gateway resource (`/sessions/{session_id}`,
 * with `pathParameters`), or, behind a `{proxy+}` resource or a custom domain's base path, by the
 * end of its path.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';

/** A route of the Lambda: method and path as the OpenAPI document spells them. */
export interface LambdaRoute<N extends string = string> {
  name: N;
  method: 'GET' | 'POST';
  path: string;
}

/** Every route the Lambda serves; the rest of the local gateway's API has no AWS counterpart yet. */
export const LAMBDA_ROUTES = [
  { name: 'invoke', method: 'POST', path: '/invoke' },
  { name: 'listSessions', method: 'GET', path: '/sessions' },
  { name: 'getSession', method: 'GET', path: '/sessions/{session_id}' },
  { name: 'sessionEvents', method: 'GET', path: '/sessions/{session_id}/events' },
  { name: 'sessionFiles', method: 'GET', path: '/sessions/{session_id}/files' },
  { name: 'cancelSession', method: 'POST', path: '/sessions/{session_id}/cancel' },
  { name: 'answerPermission', method: 'POST', path: '/sessions/{session_id}/permissions/{request_id}' },
] as const satisfies readonly LambdaRoute[];

export type RouteName = (typeof LAMBDA_ROUTES)[number]['name'];

/** A matched route with its path parameters, decoded. */
export interface RouteMatch {
  route: LambdaRoute<RouteName>;
  params: Record<string, string>;
}

// Each template as a pattern anchored at the end of the path: a base path or stage before it is fine.
const PATTERNS = LAMBDA_ROUTES.map((route) => ({
  route,
  names: [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string),
  pattern: new RegExp(`${route.path.replace(/\{\w+\}/g, '([^/]+)')}/?$`),
}));

/**
 * The route of an event (its method included); undefined when none matches, or a path parameter
 * is not valid percent-encoding.
 * @example matchRoute(event) // { route: { name: 'sessionEvents', ... }, params: { session_id: '...' } }
 */
export function matchRoute(event: APIGatewayProxyEvent): RouteMatch | undefined {
  const candidates = PATTERNS.filter(({ route }) => route.method === event.httpMethod);
  const byResource = candidates.find(({ route }) => route.path === event.resource);
  if (byResource !== undefined) {
    const params: Record<string, string> = {};
    for (const name of byResource.names) {
      const value = event.pathParameters?.[name];
      if (value === undefined) return undefined;
      params[name] = value;
    }
    return { route: byResource.route, params };
  }
  // Longest template first: `/sessions/{id}/events` before `/sessions/{id}`.
  for (const { route, names, pattern } of [...candidates].sort((a, b) => b.route.path.length - a.route.path.length)) {
    const match = pattern.exec(event.path);
    if (match === null) continue;
    try {
      return { route, params: Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')])) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The methods the event's path takes among `LAMBDA_ROUTES` (matched as `matchRoute` matches, stage
 * or base path allowed before it); empty when the path is none of them.
 * @example allowedMethodsOf({ ...event, httpMethod: 'GET', path: '/prod/invoke' }) // ['POST']
 */
export function allowedMethodsOf(event: APIGatewayProxyEvent): string[] {
  const methods = [...new Set(LAMBDA_ROUTES.map((r) => r.method))];
  return methods.filter((method) => matchRoute({ ...event, httpMethod: method }) !== undefined);
}
