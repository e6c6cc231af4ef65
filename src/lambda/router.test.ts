import { describe, expect, it } from 'vitest';
import { lambdaEvent } from '../../test/support/lambda-deps.js';
import { serviceDocument } from '../../test/support/service-document.js';
import { LAMBDA_ROUTES, matchRoute } from './router.js';

const ID = 's'.repeat(36);

describe('the Lambda routes', () => {
  it("are a subset of the local gateway's OpenAPI document: same methods, same paths", () => {
    const doc = serviceDocument({ version: '1', limits: { maxBodyBytes: 1_048_576, maxPromptChars: 100_000 } });
    for (const route of LAMBDA_ROUTES) {
      expect(doc.paths[route.path]?.[route.method.toLowerCase() as 'get' | 'post'], `${route.method} ${route.path}`).toBeDefined();
    }
  });

  it.each([
    ['POST', '/invoke', 'invoke', {}],
    ['GET', '/sessions', 'listSessions', {}],
    ['GET', `/sessions/${ID}`, 'getSession', { session_id: ID }],
    ['GET', `/sessions/${ID}/events`, 'sessionEvents', { session_id: ID }],
    ['GET', `/sessions/${ID}/files`, 'sessionFiles', { session_id: ID }],
    ['POST', `/sessions/${ID}/cancel`, 'cancelSession', { session_id: ID }],
    ['POST', `/sessions/${ID}/permissions/req-1`, 'answerPermission', { session_id: ID, request_id: 'req-1' }],
    ['GET', `/v1/sessions/${ID}/events/`, 'sessionEvents', { session_id: ID }],
    ['GET', '/v1/sessions/a%2Fb', 'getSession', { session_id: 'a/b' }],
  ])('finds %s %s by its path (a {proxy+} resource, or behind a base path)', (method, path, name, params) => {
    expect(matchRoute(lambdaEvent({ method, path }))).toEqual({ route: expect.objectContaining({ name }), params });
  });

  it('finds a route by its API Gateway resource and path parameters', () => {
    const event = lambdaEvent({
      method: 'POST',
      path: `/sessions/${ID}/permissions/r%2F1`,
      resource: '/sessions/{session_id}/permissions/{request_id}',
      pathParameters: { session_id: ID, request_id: 'r/1' },
    });
    expect(matchRoute(event)).toEqual({
      route: expect.objectContaining({ name: 'answerPermission' }),
      params: { session_id: ID, request_id: 'r/1' },
    });
  });

  it.each([
    ['GET', '/invoke'],
    ['POST', '/sessions'],
    ['DELETE', `/sessions/${ID}`],
    ['GET', `/sessions/${ID}/cancel`],
    ['GET', '/other'],
    ['GET', '/sessions/%E0%A4%A'],
  ])('matches nothing for %s %s', (method, path) => {
    expect(matchRoute(lambdaEvent({ method, path }))).toBeUndefined();
  });
});
