/**
 * The API Lambda's routes over their dependencies: the local gateway's `POST /invoke` and its
 * session routes that make sense without a local disk (list, detail, events, files, cancel,
 * permission answers), dispatched to the agent runtime on Amazon Bedrock AgentCore and read from
 * what it mirrors to the bucket. API Gateway has already enforced the API key, rate, burst and
 * quota of the usage plan; the Lambda only reads which key it was
 * (`requestContext.identity.apiKeyId`) to keep sessions apart.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ApiKeyForbiddenError, MethodNotAllowedError, NotFoundError } from '../errors/index.js';
import type { LambdaDeps } from './deps.js';
import { errorResult, isExpected, PREFLIGHT_HEADERS } from './http.js';
import { postInvoke } from './invoke.js';
import { allowedMethodsOf, LAMBDA_ROUTES, matchRoute, type RouteName } from './router.js';
import { answerPermission, cancelSession } from './session-control.js';
import { sessionEvents } from './session-events.js';
import { sessionFiles } from './session-files.js';
import { getSession, listSessions } from './sessions.js';

/** A Lambda handler of API Gateway proxy events. */
export type ApiHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

type RouteHandler = (
  event: APIGatewayProxyEvent,
  params: Record<string, string>,
  keyId: string,
  deps: LambdaDeps,
) => Promise<APIGatewayProxyResult>;

const HANDLERS: Record<RouteName, RouteHandler> = {
  invoke: (event, _params, keyId, deps) => postInvoke(event, keyId, deps),
  listSessions: (event, _params, keyId, deps) => listSessions(event, keyId, deps),
  getSession: (event, params, keyId, deps) => getSession(event, params.session_id ?? '', keyId, deps),
  sessionEvents: (event, params, keyId, deps) => sessionEvents(event, params.session_id ?? '', keyId, deps),
  sessionFiles: (event, params, keyId, deps) => sessionFiles(event, params.session_id ?? '', keyId, deps),
  cancelSession: (_event, params, keyId, deps) => cancelSession(params.session_id ?? '', keyId, deps),
  answerPermission: (event, params, keyId, deps) => answerPermission(event, params.session_id ?? '', params.request_id ?? '', keyId, deps),
};

const ROUTE_LIST = LAMBDA_ROUTES.map((r) => `${r.method} ${r.path}`).join(', ');

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
      const match = matchRoute(event);
      if (match === undefined) {
        const allow = allowedMethodsOf(event);
        if (allow.length > 0) throw new MethodNotAllowedError(event.httpMethod, event.path, allow);
        throw new NotFoundError(`No route ${event.httpMethod} ${event.path}. The API on AWS has ${ROUTE_LIST}.`);
      }
      return await HANDLERS[match.route.name](event, match.params, keyId, deps);
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
