/**
 * HTTP/1.1 over a bare TCP socket, for requests `fetch` refuses to send: duplicated or malformed
 * headers, lying Content-Length, raw bytes in the path, odd methods, half-sent bodies.
 */
import net from 'node:net';

/** What came back on the connection: every status line seen, and the first response parsed. */
export interface RawResponse {
  /** Status codes of every response on the connection, interim ones (100) included. */
  statuses: number[];
  /** The first final (non-1xx) response, when one arrived whole enough to read its head. */
  first?: { status: number; headers: Record<string, string>; body: string };
  /** Everything received, as latin1 (one char per byte). */
  raw: string;
  /** The server closed the connection (false: still open when the wait ran out). */
  closed: boolean;
}

/** Header lines in order; a name may repeat. */
export type RawHeaders = [string, string][];

/**
 * The bytes of a request: request line, `Host`, the given headers, `Connection: close` unless a
 * Connection header is given, a blank line, and the body as is (nothing is added or computed).
 * Strings in the head are latin1 (one byte per char, so any byte can be written); a string body is UTF-8.
 * @example rawBytes('GET', '/health', [['x-api-key', key], ['X-Api-Key', other]])
 */
export function rawBytes(method: string, target: string | Buffer, headers: RawHeaders = [], body: string | Buffer = ''): Buffer {
  const lines: (string | Buffer)[] = [Buffer.concat([Buffer.from(`${method} `, 'latin1'), toBytes(target), Buffer.from(' HTTP/1.1\r\n')])];
  if (!headers.some(([name]) => name.toLowerCase() === 'host')) lines.push('Host: 127.0.0.1\r\n');
  for (const [name, value] of headers) lines.push(Buffer.concat([toBytes(`${name}: `), toBytes(value), Buffer.from('\r\n')]));
  if (!headers.some(([name]) => name.toLowerCase() === 'connection')) lines.push('Connection: close\r\n');
  lines.push('\r\n');
  return Buffer.concat([...lines.map(toBytes), typeof body === 'string' ? Buffer.from(body, 'utf8') : body]);
}

/**
 * Writes `bytes` to 127.0.0.1:`port` and collects the answer until the server closes the
 * connection or `timeoutMs` passes. `halfCloseAfterMs`: then send FIN (for bodies that never come).
 */
export function sendRaw(port: number, bytes: Buffer, opts: { timeoutMs?: number; halfCloseAfterMs?: number } = {}): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timers: NodeJS.Timeout[] = [];
    let closed = true;
    const finish = () => {
      for (const t of timers) clearTimeout(t);
      socket.destroy();
      resolve({ ...parseResponses(Buffer.concat(chunks).toString('latin1')), closed });
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', finish);
    // A server that answers early and closes makes the rest of a long write fail: expected here.
    socket.on('error', () => undefined);
    socket.write(bytes);
    if (opts.halfCloseAfterMs !== undefined) timers.push(setTimeout(() => socket.end(), opts.halfCloseAfterMs));
    timers.push(
      setTimeout(() => {
        closed = false;
        finish();
      }, opts.timeoutMs ?? 5000),
    );
  });
}

/** The statuses on a connection and its first final response (body de-chunked). */
export function parseResponses(raw: string): Omit<RawResponse, 'closed'> {
  const statuses = [...raw.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3})[ \r]/g)].map((m) => Number(m[1]));
  const start = raw.search(/(?:^|\r\n)HTTP\/1\.[01] [2-5]\d\d[ \r]/);
  if (start === -1) return { statuses, raw };
  const rest = raw.slice(start).replace(/^\r\n/, '');
  const headEnd = rest.indexOf('\r\n\r\n');
  if (headEnd === -1) return { statuses, raw };
  const [statusLine = '', ...headerLines] = rest.slice(0, headEnd).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = rest.slice(headEnd + 4);
  if (headers['content-length'] !== undefined) body = body.slice(0, Number(headers['content-length']));
  else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  const status = Number(statusLine.split(' ')[1]);
  return { statuses, raw, first: { status, headers, body: Buffer.from(body, 'latin1').toString('utf8') } };
}

function dechunk(data: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd === -1) return out;
    const size = parseInt(data.slice(at, lineEnd), 16);
    if (!(size > 0)) return out;
    out += data.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

function toBytes(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
}
