/**
 * The API Lambda's routes over their dependencies: `POST /invoke` and `GET /sessions/{session_id}`,
 * dispatched to the agent runtime on Amazon Bedrock AgentCore. API Gateway has already enforced the
 * API key, rate, burst and quota of the usage plan; the Lambda only reads which key it was
 * (`requestContext.identity.apiKeyId`) to keep sessions apart.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ApiKeyForbiddenError, NotFoundError } from '../errors/index.js';
import type { LambdaDeps } from './deps.js';
import { errorResult, isExpected, PREFLIGHT_HEADERS } from './http.js';
import { postInvoke } from './invoke.js';
import { getSession } from './sessions.js';

/** A Lambda handler of API Gateway proxy events. */
export type ApiHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

/** The route an event asks for: by API Gateway resource, else by the end of its path (a `{proxy+}` resource). */
export function routeOf(event: APIGatewayProxyEvent): { kind: 'invoke' } | { kind: 'session'; sessionId: string } | undefined {
  if (event.resource === '/invoke') return { kind: 'invoke' };
  const fromParam = event.pathParameters?.session_id;
  if (event.resource === '/sessions/{session_id}' && fromParam !== undefined) return { kind: 'session', sessionId: fromParam };
  if (/\/invoke\/?$/.test(event.path)) return { kind: 'invoke' };
  const match = /\/sessions\/([^/]+)\/?$/.exec(event.path);
  if (match?.[1] !== undefined) {
    try {
      return { kind: 'session', sessionId: decodeURIComponent(match[1]) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Builds the handler over its dependencies.
 * @example export const handler = createHandler(buildDeps(loadLambdaConfig(process.env)));
 */
export function createHandler(deps: LambdaDeps): ApiHandler {
  return async (event, context) => {
    if (event.httpMethod === 'OPTIONS') return { statusCode: 204, headers: PREFLIGHT_HEADERS, body: '' };
    try {
      const keyId = event.requestContext?.identity?.apiKeyId;
      // Only reachable without a key if the method was deployed without `apiKeyRequired`.
      if (typeof keyId !== 'string' || keyId === '') throw new ApiKeyForbiddenError();
      const route = routeOf(event);
      if (route?.kind === 'invoke' && event.httpMethod === 'POST') return await postInvoke(event, keyId, deps);
      if (route?.kind === 'session' && event.httpMethod === 'GET') return await getSession(route.sessionId, keyId, deps);
      throw new NotFoundError(`No route ${event.httpMethod} ${event.path}. The API has POST /invoke and GET /sessions/{session_id}.`);
    } catch (err) {
      if (!isExpected(err)) {
        deps.logError('unhandled error', {
          path: event.path,
          request_id: context?.awsRequestId,
          error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
          stack: err instanceof Error ? err.stack : undefined,
        });
      }
      return errorResult(err);
    }
  };
}
