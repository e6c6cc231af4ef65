import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../events/index.js';
import { sseResponse } from './sse.js';

const event = (id: number): SessionEvent => ({
  id,
  session_id: 's',
  invocation_id: 'i',
  at: '2026-01-01T00:00:00.000Z',
  type: 'assistant.text',
  data: { text: `line ${id}\nnext` },
});

let server: ServerType | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A real server with CORS in front, as `cca serve` has, streaming `source`. */
async function serving(source: () => AsyncIterable<SessionEvent>): Promise<string> {
  const app = new Hono();
  app.use('*', cors());
  app.get('/s', (c) => sseResponse(c, source(), { 'X-Session-Id': 's' }));
  return new Promise((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}/s`));
  });
}

describe('sseResponse', () => {
  it('frames each event as id, event, data on one line, with the stream headers even behind CORS', async () => {
    const url = await serving(async function* () {
      yield event(1);
      yield event(2);
    });
    const res = await fetch(url);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('x-session-id')).toBe('s');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const text = await res.text();
    expect(
      text
        .split('\n\n')
        .filter(Boolean)
        .map((m) => m.split('\n')[0]),
    ).toEqual(['id: 1', 'id: 2']);
    expect(text).toContain('event: assistant.text\ndata: {"id":1,');
    expect(text).toContain('"text":"line 1\\nnext"');
  });

  it('aborts the response when the event source fails, instead of ending it as if complete', async () => {
    const url = await serving(async function* () {
      yield event(1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw new Error('database gone');
    });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toMatch(/^id: 1\n/);
    await expect(reader.read()).rejects.toThrow();
  });
});
