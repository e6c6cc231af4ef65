import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ThrottledError } from '../errors/index.js';
import { apiBase, bodyText, errorResult, header } from './http.js';

const event = (
  over: Omit<Partial<APIGatewayProxyEvent>, 'requestContext'> & { requestContext?: Partial<APIGatewayProxyEvent['requestContext']> },
) =>
  ({
    headers: {},
    body: null,
    isBase64Encoded: false,
    path: '/invoke',
    ...over,
    requestContext: { domainName: 'abc.execute-api.us-east-1.amazonaws.com', stage: 'prod', path: '/prod/invoke', ...over.requestContext },
  }) as unknown as APIGatewayProxyEvent;

describe('API Gateway event helpers', () => {
  it('finds headers whatever their case', () => {
    const e = event({ headers: { prefer: 'respond-async', 'X-Amzn-Bedrock-AgentCore-Runtime-Session-Id': 's' } });
    expect(header(e, 'Prefer')).toBe('respond-async');
    expect(header(e, 'x-amzn-bedrock-agentcore-runtime-session-id')).toBe('s');
    expect(header(e, 'accept')).toBeUndefined();
  });

  it('reads the body up to the limit in bytes, decoding base64, and answers 413 past it', () => {
    expect(bodyText(event({ body: 'héllo' }), 6)).toBe('héllo');
    expect(bodyText(event({ body: Buffer.from('{"a":1}').toString('base64'), isBase64Encoded: true }), 7)).toBe('{"a":1}');
    const over = (() => {
      try {
        bodyText(event({ body: 'héllo' }), 5);
      } catch (err) {
        return errorResult(err);
      }
    })();
    expect(over?.statusCode).toBe(413);
    expect(JSON.parse(over?.body ?? '{}')).toEqual({
      message: 'The body is larger than 5 bytes; send a shorter prompt.',
      code: 'payload_too_large',
      limit: 5,
    });
  });

  it('derives the public base URL on the execute-api host and on a custom domain with a base path', () => {
    expect(apiBase(event({}), '/invoke')).toBe('https://abc.execute-api.us-east-1.amazonaws.com/prod');
    expect(apiBase(event({ requestContext: { domainName: 'agent.example.com', path: '/v1/invoke' } }), '/invoke')).toBe(
      'https://agent.example.com/v1',
    );
    expect(apiBase(event({ requestContext: { domainName: 'agent.example.com', path: '/invoke' } }), '/invoke')).toBe(
      'https://agent.example.com',
    );
  });

  it('answers errors as JSON with CORS and their headers; unknown faults as an opaque 500', () => {
    const throttled = errorResult(new ThrottledError(2));
    expect(throttled).toMatchObject({ statusCode: 429, headers: { 'Retry-After': '2', 'Access-Control-Allow-Origin': '*' } });
    expect(JSON.parse(throttled.body)).toEqual({ message: 'Too Many Requests' });
    const fault = errorResult(new Error('secret detail'));
    expect(fault.statusCode).toBe(500);
    expect(fault.body).not.toContain('secret detail');
  });
});
