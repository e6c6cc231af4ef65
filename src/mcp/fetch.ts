/**
 * The fetch the service's MCP clients use, built in layers: the operator's headers, a cap on every
 * answer's size (a server must not fill the service's memory), and an auth layer (auth/).
 */
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

export type { FetchLike };

/** Most bytes one answer of an MCP server may have (a tool result, a tool list), or one event of an event stream. */
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
 * Fails the body of any answer past `maxBytes`; the request's reader sees an error, not a truncated
 * message. An event stream (`text/event-stream`) is capped per event instead: one long-lived GET
 * (an SSE server's, or streamable HTTP's standalone stream) carries every message of a run.
 * @example capped(fetch, MAX_ANSWER_BYTES)
 */
export function capped(inner: FetchLike, maxBytes: number = MAX_ANSWER_BYTES): FetchLike {
  return async (url, init) => {
    const res = await inner(url, init);
    if (res.body === null) return res;
    const stream = /^\s*text\/event-stream/i.test(res.headers.get('content-type') ?? '');
    const count = stream ? eventCounter(maxBytes) : bodyCounter(maxBytes);
    const counter = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (!count(chunk)) {
          const what = stream ? 'One event of the MCP server' : "The MCP server's answer";
          controller.error(new AnswerTooLargeError(`${what} passed ${maxBytes} bytes, the most the service reads.`));
          return;
        }
        controller.enqueue(chunk);
      },
    });
    return new Response(res.body.pipeThrough(counter), { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/** Counts a whole body; false once it passes `maxBytes`. */
function bodyCounter(maxBytes: number): (chunk: Uint8Array) => boolean {
  let seen = 0;
  return (chunk) => (seen += chunk.byteLength) <= maxBytes;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Counts the bytes of the current SSE event; false once one passes `maxBytes`. An event ends at
 * an empty line; lines end with LF, CRLF or CR (the SSE rules), and either may fall across chunks.
 */
function eventCounter(maxBytes: number): (chunk: Uint8Array) => boolean {
  let inEvent = 0;
  let lineLength = 0;
  let afterCr = false;
  return (chunk) => {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      inEvent += 1;
      if (byte === LF && afterCr) {
        afterCr = false; // the LF of a CRLF: the line already ended at the CR
      } else if (byte === LF || byte === CR) {
        if (lineLength === 0) inEvent = 0; // an empty line: the event is over
        lineLength = 0;
        afterCr = byte === CR;
      } else {
        lineLength += 1;
        afterCr = false;
      }
      if (inEvent > maxBytes) return false;
    }
    return true;
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
