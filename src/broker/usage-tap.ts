/**
 * Reads the usage out of a model answer as it streams past the broker, without holding it up: the
 * Anthropic API's server-sent events (`message_start` carries the input tokens, `message_delta` the
 * output so far), Bedrock's event-stream frames (each carrying one of those events, base64-encoded
 * JSON), or a whole JSON body. What it cannot read (a line or frame too long, a body that is not
 * JSON) it skips: the answer still reaches the run unchanged.
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
  end(): void;
}

/** Lines or frames longer than this are text or tool input, never usage: skipped unread. */
const MAX_UNIT_BYTES = 256 * 1024;
/** A JSON answer larger than this is not read (its usage is lost to the meter, not to the run). */
const MAX_JSON_BYTES = 8 * 1024 * 1024;

const NUMBERS = ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const;

/**
 * A tap for one answer of `contentType`, reporting each change of its usage to `report`; undefined
 * when the answer carries no usage the broker can read.
 * @example const tap = usageTap(answer.headers['content-type'], (model, usage) => observer.onUsage(id, model ?? pathModel, usage));
 */
export function usageTap(
  contentType: string | undefined,
  report: (model: string | undefined, usage: ResponseUsage) => void,
): UsageTap | undefined {
  const usage: ResponseUsage = {};
  let model: string | undefined;
  const onEvent = (event: unknown) => {
    if (typeof event !== 'object' || event === null) return;
    const e = event as { type?: unknown; model?: unknown; message?: { model?: unknown; usage?: unknown }; usage?: unknown };
    // A stream's first event holds the message (model, input tokens); a whole answer is the message.
    const message = e.type === 'message_start' ? e.message : e.type === 'message' ? e : undefined;
    if (typeof message?.model === 'string') model = message.model;
    const raw = message !== undefined ? message.usage : e.type === 'message_delta' ? e.usage : undefined;
    if (mergeUsage(usage, raw)) report(model, { ...usage });
  };
  const type = (contentType ?? '').toLowerCase();
  if (type.startsWith('text/event-stream')) return sseTap(onEvent);
  if (type.startsWith('application/vnd.amazon.eventstream')) return eventStreamTap(onEvent);
  if (type.startsWith('application/json')) return jsonTap(onEvent);
  return undefined;
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
function sseTap(onEvent: (event: unknown) => void): UsageTap {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let skipping = false;
  const line = (text: string) => {
    if (!text.startsWith('data:')) return;
    // Only the events that carry usage are parsed; text and tool input pass unread.
    if (!/"type"\s*:\s*"message_(start|delta)"/.test(text.slice(0, 200))) return;
    try {
      onEvent(JSON.parse(text.slice(5)));
    } catch {
      // Not JSON: nothing to count.
    }
  };
  return {
    write(chunk) {
      let text = pending + decoder.write(chunk);
      let newline = text.indexOf('\n');
      while (newline !== -1) {
        if (!skipping) line(text.slice(0, newline).trimEnd());
        skipping = false;
        text = text.slice(newline + 1);
        newline = text.indexOf('\n');
      }
      if (text.length > MAX_UNIT_BYTES) {
        skipping = true;
        text = '';
      }
      pending = text;
    },
    end() {
      const rest = pending + decoder.end();
      if (!skipping && rest !== '') line(rest.trimEnd());
      pending = '';
    },
  };
}

/**
 * AWS event-stream frames: total length and headers length (big-endian), a CRC, the headers, the
 * payload and a CRC. A chunk's payload is `{"bytes": "<base64 of one Anthropic event>"}`.
 */
function eventStreamTap(onEvent: (event: unknown) => void): UsageTap {
  let buffered: Buffer = Buffer.alloc(0);
  let broken = false;
  return {
    write(chunk) {
      if (broken) return;
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 12) {
        const total = buffered.readUInt32BE(0);
        const headers = buffered.readUInt32BE(4);
        if (total < 16 + headers || total > MAX_UNIT_BYTES * 64) {
          broken = true;
          return;
        }
        if (buffered.length < total) return;
        const payload = buffered.subarray(12 + headers, total - 4);
        buffered = buffered.subarray(total);
        try {
          const bytes = (JSON.parse(payload.toString('utf8')) as { bytes?: unknown }).bytes;
          if (typeof bytes === 'string') onEvent(JSON.parse(Buffer.from(bytes, 'base64').toString('utf8')));
        } catch {
          // An exception frame or a payload of another kind: nothing to count.
        }
      }
    },
    end() {
      buffered = Buffer.alloc(0);
    },
  };
}

/** A whole JSON answer (`stream: false`, Bedrock's InvokeModel): a message with its usage. */
function jsonTap(onEvent: (event: unknown) => void): UsageTap {
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
        if (body.type === 'message') onEvent(body);
      } catch {
        // Not JSON after all: nothing to count.
      }
    },
  };
}
