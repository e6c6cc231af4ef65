/**
 * Reads the usage out of a model answer as it streams past the broker, without holding it up: the
 * Anthropic API's server-sent events (`message_start` carries the input tokens, `message_delta` the
 * output so far), Bedrock's event-stream frames (each carrying one of those events, base64-encoded
 * JSON), or a whole JSON body. What it cannot read (a line or frame too long, a body that is not
 * JSON) it skips: the answer still reaches the run unchanged.
 *
 * An answer is charged for what passed through the broker even when it carries no final usage: a
 * stream cut before its `message_delta` (the run closed it, or was cancelled) is charged an output
 * estimated from the content deltas it had streamed, and an answer whose usage the tap cannot read
 * at all (another model's format, a cut JSON body) an estimate from its bytes and the request's.
 * Otherwise a run could read a whole answer and close the connection just before its output count.
 */
import { StringDecoder } from 'node:string_decoder';

/** A response's usage as the Messages API reports it; the broker passes it on as read. */
export interface ResponseUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation?: { ephemeral_1h_input_tokens?: number };
  server_tool_use?: { web_search_requests?: number };
  inference_geo?: string;
}

/** Sees the model responses of one run as they come, and may stop its next calls. */
export interface UsageObserver {
  /** The usage of response `callId` so far; reported again as it grows (input first, output at the end). */
  onUsage(callId: number, model: string | undefined, usage: ResponseUsage): void;
  /** Why the run may make no more model calls (its budget is spent), or undefined. */
  refusal(): string | undefined;
}

/** What the broker feeds a tap: each chunk of the answer, then its end. */
export interface UsageTap {
  write(chunk: Buffer): void;
  /** The answer ended or was cut: reports the estimate if no final usage came. Once; later writes are ignored. */
  end(): void;
}

/**
 * Bytes of content per output token an estimate assumes: fewer than any tokenizer packs (about 4
 * for English, 3 bytes a character for CJK text at 1 to 2 tokens), so an estimate errs high.
 */
export const ESTIMATE_BYTES_PER_TOKEN = 3;

/** Lines or frames longer than this are text or tool input, never usage: counted as content, not parsed. */
const MAX_UNIT_BYTES = 256 * 1024;
/** A JSON answer larger than this is not read: the meter charges the estimate from its bytes. */
const MAX_JSON_BYTES = 8 * 1024 * 1024;

const NUMBERS = ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const;

/** What a format's reader hands on: each event it read, and the bytes of content it could not read. */
interface Reader {
  onEvent(event: unknown): void;
  onUnread(bytes: number): void;
}

/**
 * A tap for one answer of `contentType` to a request of `requestBytes`, reporting each change of its
 * usage to `report`, and at its end an estimate when no final usage came (see the file's comment).
 * @example const tap = usageTap(answer.headers['content-type'], body.length, (model, usage) => observer.onUsage(id, model ?? pathModel, usage));
 */
export function usageTap(
  contentType: string | undefined,
  requestBytes: number,
  report: (model: string | undefined, usage: ResponseUsage) => void,
): UsageTap {
  const usage: ResponseUsage = {};
  let model: string | undefined;
  /** A usage was read at all; the answer's own output count (message_delta, a whole message) came. */
  let read = false;
  let final = false;
  let answerBytes = 0;
  let contentBytes = 0;
  let ended = false;
  const reader: Reader = {
    onEvent(event) {
      if (typeof event !== 'object' || event === null) return;
      const e = event as {
        type?: unknown;
        model?: unknown;
        message?: { model?: unknown; usage?: unknown };
        usage?: unknown;
        delta?: unknown;
      };
      if (e.type === 'content_block_delta') {
        contentBytes += contentOf(e.delta);
        return;
      }
      // A stream's first event holds the message (model, input tokens); a whole answer is the message.
      const message = e.type === 'message_start' ? e.message : e.type === 'message' ? e : undefined;
      if (typeof message?.model === 'string') model = message.model;
      const raw = message !== undefined ? message.usage : e.type === 'message_delta' ? e.usage : undefined;
      if (typeof raw === 'object' && raw !== null) {
        read = true;
        if (e.type !== 'message_start' && typeof (raw as { output_tokens?: unknown }).output_tokens === 'number') final = true;
      }
      if (mergeUsage(usage, raw)) report(model, { ...usage });
    },
    onUnread(bytes) {
      contentBytes += bytes;
    },
  };
  const type = (contentType ?? '').toLowerCase();
  const inner = type.startsWith('text/event-stream')
    ? sseTap(reader)
    : type.startsWith('application/vnd.amazon.eventstream')
      ? eventStreamTap(reader)
      : type.startsWith('application/json')
        ? jsonTap(reader)
        : undefined;
  return {
    write(chunk) {
      if (ended) return;
      answerBytes += chunk.length;
      inner?.write(chunk);
    },
    end() {
      if (ended) return;
      ended = true;
      inner?.end();
      if (final) return;
      const tokens = (bytes: number) => Math.ceil(bytes / ESTIMATE_BYTES_PER_TOKEN);
      if (!read) {
        // Nothing the tap can read: the answer's bytes as output, the request's as input.
        const estimate = { input_tokens: tokens(requestBytes), output_tokens: tokens(answerBytes) };
        if (estimate.input_tokens > 0 || estimate.output_tokens > 0) report(model, estimate);
        return;
      }
      // Cut before its output count: what streamed, never less than message_start said.
      if (mergeUsage(usage, { output_tokens: tokens(contentBytes) })) report(model, { ...usage });
    },
  };
}

/** The bytes of a content delta's text (text, tool input JSON, thinking, signature, citations). */
function contentOf(delta: unknown): number {
  if (typeof delta !== 'object' || delta === null) return 0;
  let bytes = 0;
  for (const [name, value] of Object.entries(delta)) {
    if (name === 'type') continue;
    if (typeof value === 'string') bytes += Buffer.byteLength(value, 'utf8');
    else if (typeof value === 'object' && value !== null) bytes += Buffer.byteLength(JSON.stringify(value), 'utf8');
  }
  return bytes;
}

/** Takes the larger of each count (counts only grow within one response); true if any changed. */
function mergeUsage(into: ResponseUsage, raw: unknown): boolean {
  if (typeof raw !== 'object' || raw === null) return false;
  const r = raw as Record<string, unknown>;
  let changed = false;
  const larger = (before: number | undefined, value: unknown): number | undefined => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= (before ?? 0)) return before;
    changed = true;
    return value;
  };
  for (const field of NUMBERS) {
    const next = larger(into[field], r[field]);
    if (next !== undefined) into[field] = next;
  }
  const hour = larger(
    into.cache_creation?.ephemeral_1h_input_tokens,
    (r.cache_creation as Record<string, unknown> | null)?.ephemeral_1h_input_tokens,
  );
  if (hour !== undefined) into.cache_creation = { ephemeral_1h_input_tokens: hour };
  const searches = larger(
    into.server_tool_use?.web_search_requests,
    (r.server_tool_use as Record<string, unknown> | null)?.web_search_requests,
  );
  if (searches !== undefined) into.server_tool_use = { web_search_requests: searches };
  if (typeof r.inference_geo === 'string' && r.inference_geo !== into.inference_geo) {
    into.inference_geo = r.inference_geo;
    changed = true;
  }
  return changed;
}

/** Server-sent events: each `data:` line is one JSON event. */
function sseTap(reader: Reader): UsageTap {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let skipping = false;
  const line = (text: string) => {
    if (!text.startsWith('data:')) return;
    // Only the events that carry usage or content are parsed; pings and block starts pass unread.
    if (!/"type"\s*:\s*"(message_start|message_delta|content_block_delta)"/.test(text.slice(0, 200))) return;
    try {
      reader.onEvent(JSON.parse(text.slice(5)));
    } catch {
      // Not JSON (or cut off): counted as content, which is what a cut line holds.
      reader.onUnread(Buffer.byteLength(text, 'utf8'));
    }
  };
  const skip = (text: string) => reader.onUnread(Buffer.byteLength(text, 'utf8'));
  return {
    write(chunk) {
      let text = pending + decoder.write(chunk);
      let newline = text.indexOf('\n');
      while (newline !== -1) {
        if (skipping) skip(text.slice(0, newline));
        else line(text.slice(0, newline).trimEnd());
        skipping = false;
        text = text.slice(newline + 1);
        newline = text.indexOf('\n');
      }
      if (text.length > MAX_UNIT_BYTES) {
        // A line this long is text or tool input: counted as content, never parsed.
        skip(text);
        skipping = true;
        text = '';
      }
      pending = text;
    },
    end() {
      const rest = pending + decoder.end();
      if (skipping) skip(rest);
      else if (rest !== '') line(rest.trimEnd());
      pending = '';
    },
  };
}

/**
 * AWS event-stream frames: total length and headers length (big-endian), a CRC, the headers, the
 * payload and a CRC. A chunk's payload is `{"bytes": "<base64 of one Anthropic event>"}`.
 */
function eventStreamTap(reader: Reader): UsageTap {
  let buffered: Buffer = Buffer.alloc(0);
  let broken = false;
  return {
    write(chunk) {
      // Past a frame it cannot read, every byte counts as content.
      if (broken) return reader.onUnread(chunk.length);
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 12) {
        const total = buffered.readUInt32BE(0);
        const headers = buffered.readUInt32BE(4);
        if (total < 16 + headers || total > MAX_UNIT_BYTES * 64) {
          broken = true;
          reader.onUnread(buffered.length);
          buffered = Buffer.alloc(0);
          return;
        }
        if (buffered.length < total) return;
        const payload = buffered.subarray(12 + headers, total - 4);
        buffered = buffered.subarray(total);
        try {
          const bytes = (JSON.parse(payload.toString('utf8')) as { bytes?: unknown }).bytes;
          if (typeof bytes === 'string') reader.onEvent(JSON.parse(Buffer.from(bytes, 'base64').toString('utf8')));
        } catch {
          // An exception frame or a payload of another kind: nothing to count.
        }
      }
    },
    end() {
      // A frame cut off in the middle: its bytes count as content.
      reader.onUnread(buffered.length);
      buffered = Buffer.alloc(0);
    },
  };
}

/** A whole JSON answer (`stream: false`, Bedrock's InvokeModel): a message with its usage. */
function jsonTap(reader: Reader): UsageTap {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    write(chunk) {
      size += chunk.length;
      if (size <= MAX_JSON_BYTES) chunks.push(chunk);
    },
    end() {
      if (size > MAX_JSON_BYTES) return;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type?: unknown };
        if (body.type === 'message') reader.onEvent(body);
      } catch {
        // Not JSON after all, or cut off: nothing read, so the answer's bytes are the estimate.
      }
    },
  };
}
