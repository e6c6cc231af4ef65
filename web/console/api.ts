/**
 * The console's one way to the API: every call carries the pasted key in `x-api-key` (never in a
 * URL) and every refusal becomes an `ApiError` with the API's own message.
 */
import { createParser } from 'eventsource-parser';
import { ApiError } from './api-error.js';
import type { RunEvent } from './types.js';

export { ApiError };

/** The API of this origin, called with `key`. */
export class Api {
  constructor(private readonly key: string) {}

  /** Sends a request and returns its JSON body; throws ApiError for any status but 2xx. */
  async json<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const init: RequestInit = { method, headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }) };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (signal) init.signal = signal;
    const res = await this.fetch(path, init);
    return (await res.json()) as T;
  }

  /** Sends a request and returns the raw answer once it is 2xx. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(path, {
      ...init,
      headers: this.headers(init.headers as Record<string, string> | undefined),
      cache: 'no-store',
    });
    if (!res.ok) throw await errorOf(res);
    return res;
  }

  /** Reads the SSE answer of `res`, calling `onEvent` for each event, until it ends or `signal` aborts. */
  async readEvents(res: Response, onEvent: (e: RunEvent) => void, signal?: AbortSignal): Promise<void> {
    if (res.body === null) return;
    const parser = createParser({
      onEvent(message) {
        try {
          onEvent(JSON.parse(message.data) as RunEvent);
        } catch {
          // A line that is not an event (it never should be) must not stop the stream.
        }
      },
    });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const stop = () => void reader.cancel().catch(() => undefined);
    signal?.addEventListener('abort', stop, { once: true });
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        parser.feed(value);
      }
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }

  /**
   * Follows `GET /sessions/{id}/events` after event `after` until the session is idle (the stream
   * ends), calling `onOpen` once the API has answered; throws when the connection breaks.
   */
  async follow(sessionId: string, after: number, onEvent: (e: RunEvent) => void, signal?: AbortSignal, onOpen?: () => void): Promise<void> {
    const init: RequestInit = { headers: { accept: 'text/event-stream' } };
    if (signal) init.signal = signal;
    const res = await this.fetch(`/sessions/${encodeURIComponent(sessionId)}/events?after=${after}`, init).catch((err: unknown) => {
      if (signal?.aborted) return undefined;
      throw err;
    });
    if (!res) return;
    onOpen?.();
    await this.readEvents(res, onEvent, signal);
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...extra, 'x-api-key': this.key };
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  const said = typeof body.message === 'string' ? body.message : `${res.status} ${res.statusText}`;
  if (res.status === 403) {
    return new ApiError(
      403,
      'The API refused this key (403 Forbidden): it is missing, mistyped or revoked. Paste a key from `cca keys create`.',
      body,
    );
  }
  if (res.status === 429) return new ApiError(429, `${said}: too many requests for this key; wait a moment and try again.`, body);
  return new ApiError(res.status, said, body);
}

/** The message of anything thrown, for a person. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
