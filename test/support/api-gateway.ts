/**
 * API Gateway REST API proxy events, as the stage `prod` of an execute-api domain delivers them to
 * the API Lambda, for end-to-end tests that call the real handler.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

export const API_DOMAIN = 'abc123defg.execute-api.ap-northeast-1.amazonaws.com';
export const API_STAGE = 'prod';

/** One request: method, path, the API Gateway resource it matched, and the caller's API key id. */
export interface ApiRequest {
  method: 'GET' | 'POST' | 'OPTIONS';
  path: string;
  resource: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | null;
  /** API Gateway's id of the key; null: none (a method deployed without apiKeyRequired). */
  apiKeyId: string | null;
}

/** The proxy event of `o`. */
export function apiEvent(o: ApiRequest): APIGatewayProxyEvent {
  return {
    httpMethod: o.method,
    path: o.path,
    resource: o.resource,
    pathParameters: o.pathParameters ?? null,
    headers: { 'Content-Type': 'application/json', 'x-api-key': 'the-key-itself', ...o.headers },
    multiValueHeaders: {},
    queryStringParameters: o.query ?? null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    body: o.body ?? null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123defg',
      authorizer: undefined,
      protocol: 'HTTP/1.1',
      httpMethod: o.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: o.apiKeyId === null ? null : 'the-key-itself',
        apiKeyId: o.apiKeyId,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.7',
        user: null,
        userAgent: 'curl/8.5.0',
        userArn: null,
      },
      domainName: API_DOMAIN,
      path: `/${API_STAGE}${o.path}`,
      stage: API_STAGE,
      requestId: `req-${Math.random().toString(16).slice(2)}`,
      requestTimeEpoch: Date.now(),
      resourceId: 'res123',
      resourcePath: o.resource,
    },
  };
}

/** The result with its JSON body parsed. */
export function parsed(result: APIGatewayProxyResult): { status: number; body: any; headers: Record<string, unknown> } {
  return { status: result.statusCode, body: JSON.parse(result.body) as unknown, headers: result.headers ?? {} };
}
