/**
 * One JSON POST with node:http(s). Not `fetch`: Node's fetch gives up waiting for response headers
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

/**
 * Sends `body` (already JSON text) and reads the whole reply. Rejects only when no reply arrives
 * (connection refused, DNS, reset): the error keeps Node's `code`, e.g. ECONNREFUSED.
 * @example const reply = await postJson(new URL('http://127.0.0.1:8080/invoke'), '{"prompt":"hi"}', { 'x-api-key': key });
 */
export function postJson(url: URL, body: string, headers: Record<string, string>): Promise<HttpReply> {
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'content-length': String(Buffer.byteLength(body, 'utf8')),
          accept: 'application/json',
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body, 'utf8');
  });
}
