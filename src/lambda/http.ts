/**
 * API Gateway (REST API, Lambda proxy integration) events in, proxy results out: headers looked up
 * case-insensitively, the body read within the size limit, JSON answers with CORS on every one,
 * and errors through `toErrorResponse` so their bodies are the local gateway's.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { AppError, toErrorResponse } from '../errors/index.js';
import { bodyTooLarge, CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, CORS_EXPOSE_HEADERS, CORS_MAX_AGE_S } from '../http/index.js';

/** CORS on every answer, as the local gateway's defaults (any origin; the async and retry headers readable). */
export const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': CORS_EXPOSE_HEADERS.join(', '),
};

/** The answer to a CORS preflight that reaches the Lambda (API Gateway usually answers them itself). */
export const PREFLIGHT_HEADERS: Record<string, string> = {
  ...CORS_HEADERS,
  'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS.join(', '),
  'Access-Control-Allow-Methods': CORS_ALLOW_METHODS.join(', '),
  'Access-Control-Max-Age': String(CORS_MAX_AGE_S),
};

/** A header of the event, whatever its case; undefined when absent. */
export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/**
 * The body as text (decoded when API Gateway base64-encoded it); 413 over `maxBytes`, as the local
 * gateway's body limit.
 */
export function bodyText(event: APIGatewayProxyEvent, maxBytes: number): string {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > maxBytes) throw bodyTooLarge(maxBytes);
  return bytes.toString('utf8');
}

/**
 * The public base URL of the API the request came in on: `https://<domain>/<stage>` on the
 * execute-api host, `https://<domain>[/<base path>]` on a custom domain. `routePath` is the route's
 * own part of the path (e.g. `/invoke`), found at the end of `requestContext.path`.
 */
export function apiBase(event: APIGatewayProxyEvent, routePath: string): string {
  const { domainName, path, stage } = event.requestContext;
  const at = path.lastIndexOf(routePath);
  const base = at >= 0 && at + routePath.length === path.length ? path.slice(0, at) : `/${stage}`;
  return `https://${domainName ?? 'localhost'}${base.replace(/\/+$/, '')}`;
}

/** A JSON answer with CORS. */
export function jsonResult(status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { 'Content-Type': 'application/json', ...CORS_HEADERS, ...headers },
    body: JSON.stringify(body),
  };
}

/** An answer whose body is passed through as the runtime gave it. */
export function rawResult(status: number, contentType: string, body: string): APIGatewayProxyResult {
  return { statusCode: status, headers: { 'Content-Type': contentType, ...CORS_HEADERS }, body };
}

/** Any thrown value as an answer: typed errors with their status and body, anything else an opaque 500. */
export function errorResult(err: unknown): APIGatewayProxyResult {
  const { status, body, headers } = toErrorResponse(err);
  return jsonResult(status, body, headers);
}

/** Whether a thrown value is one of ours (expected) rather than a fault to log. */
export function isExpected(err: unknown): boolean {
  return err instanceof AppError;
}
