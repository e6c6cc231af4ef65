/**
 * JSON requests with node:http(s). Not `fetch`: Node's fetch gives up waiting for response headers
 * after 300 s, and a synchronous invocation may legitimately take the whole run (15 min by default).
 */
import http from 'node:http';
import https from 'node:https';

/** What came back: status, headers (lower-case names) and the body as text. */
export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request: `body` is JSON text already; headers are added to the JSON defaults. */
export interface HttpRequestInit {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

/**
 * Sends a request and returns the response as it arrives, unread. Rejects only when no response
 * arrives (connection refused, DNS, reset): the error keeps Node's `code`, e.g. ECONNREFUSED.
 * `onRequest` gets the request so a caller can abort it (`req.destroy()`).
 */
export function startRequest(
  url: URL,
  init: HttpRequestInit,
  onRequest?: (req: http.ClientRequest) => void,
): Promise<http.IncomingMessage> {
  const send = url.protocol === 'https:' ? https.request : http.request;
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  if (init.body !== undefined) {
    headers['content-type'] = 'application/json; charset=utf-8';
    headers['content-length'] = String(Buffer.byteLength(init.body, 'utf8'));
  }
  return new Promise((resolve, reject) => {
    const req = send(url, { method: init.method, headers }, resolve);
    req.on('error', reject);
    onRequest?.(req);
    req.end(init.body, 'utf8');
  });
}

/** Reads a whole response body as text. */
export function readReply(res: http.IncomingMessage): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('error', reject);
    res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
  });
}

/**
 * Sends a request and reads the whole reply.
 * @example const reply = await httpRequest(new URL('http://127.0.0.1:8080/sessions'), { method: 'GET', headers: { 'x-api-key': key } });
 */
export async function httpRequest(url: URL, init: HttpRequestInit): Promise<HttpReply> {
  return readReply(await startRequest(url, init));
}

/**
 * Sends `body` (already JSON text) as a POST and reads the whole reply.
 * @example const reply = await postJson(new URL('http://127.0.0.1:8080/invoke'), '{"prompt":"hi"}', { 'x-api-key': key });
 */
export function postJson(url: URL, body: string, headers: Record<string, string>): Promise<HttpReply> {
  return httpRequest(url, { method: 'POST', headers, body });
}

/** True for 2xx. */
export function isOk(reply: { status: number }): boolean {
  return reply.status >= 200 && reply.status <= 299;
}
