/**
 * The fetch the service's MCP clients use, built in layers: the operator's headers, a cap on every
 * answer's size (a server must not fill the service's memory), and an auth layer (auth/).
 */
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

export type { FetchLike };

/** Most bytes one answer of an MCP server may have (a tool result, a tool list, an event stream). */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** A size-capped answer went over its cap. */
export class AnswerTooLargeError extends Error {
  override name = 'AnswerTooLargeError';
}

/**
 * Adds `headers` to every request; the transport's own (content type, session id, protocol
 * version) win over them.
 * @example withHeaders(fetch, { Authorization: 'Bearer op-secret' })
 */
export function withHeaders(inner: FetchLike, headers: Record<string, string>): FetchLike {
  if (Object.keys(headers).length === 0) return inner;
  return (url, init) => {
    const merged = new Headers(headers);
    for (const [name, value] of new Headers(init?.headers)) merged.set(name, value);
    return inner(url, { ...init, headers: merged });
  };
}

/**
 * Fails the body of any answer past `maxBytes`; the request's reader sees an error, not a truncated message.
 * @example capped(fetch, MAX_ANSWER_BYTES)
 */
export function capped(inner: FetchLike, maxBytes: number = MAX_ANSWER_BYTES): FetchLike {
  return async (url, init) => {
    const res = await inner(url, init);
    if (res.body === null) return res;
    let seen = 0;
    const counter = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > maxBytes) {
          controller.error(new AnswerTooLargeError(`The MCP server's answer passed ${maxBytes} bytes, the most the service reads.`));
          return;
        }
        controller.enqueue(chunk);
      },
    });
    return new Response(res.body.pipeThrough(counter), { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/** The body of a request as bytes (the MCP transports send strings), for signing. */
export function bodyBytes(body: RequestInit['body']): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString(), 'utf8');
  throw new Error('The MCP client sent a body the service cannot sign (a stream or form); only strings and bytes are signed.');
}
