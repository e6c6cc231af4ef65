/**
 * The answer cap against a real HTTP server on 127.0.0.1: a JSON answer is capped whole, an event
 * stream per event (one long-lived stream carries every message of a run).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnswerTooLargeError, capped } from './fetch.js';

const CAP = 1000;
let server: http.Server;
let base: string;

/** `/events?n=&size=`: n SSE events of about `size` bytes each, written in pieces that split the event ends; `/json?size=`: one JSON body. */
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const size = Number(url.searchParams.get('size'));
    if (url.pathname === '/json') {
      // Blank lines every few bytes: a body read as events would never reach the cap.
      res.writeHead(200, { 'content-type': 'application/json' }).end(`[${'1,\n\n'.repeat(size / 4)}1]`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const n = Number(url.searchParams.get('n'));
    for (let i = 0; i < n; i++) {
      const end = i % 2 === 0 ? '\r\n\r\n' : '\n\n';
      const event = `event: message\r\ndata: ${'y'.repeat(size)}${end}`;
      res.write(event.slice(0, -1));
      res.write(event.slice(-1));
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

const read = async (path: string): Promise<string> => (await capped(fetch, CAP)(`${base}${path}`)).text();

describe('capped', () => {
  it('reads an event stream whose events are each under the cap, however long the stream', async () => {
    const text = await read('/events?n=50&size=500');
    expect(text.length).toBeGreaterThan(50 * 500);
    expect(text.match(/^data: /gm)).toHaveLength(50);
  });

  it('fails an event stream at the one event past the cap', async () => {
    await expect(read('/events?n=3&size=1200')).rejects.toThrow(AnswerTooLargeError);
  });

  it('caps a JSON answer as a whole, blank lines in it or not', async () => {
    await expect(read('/json?size=900')).resolves.toMatch(/^\[1,/);
    await expect(read('/json?size=3000')).rejects.toThrow(/answer passed 1000 bytes/);
  });

  it('finds the end of an event split between chunks, with LF, CRLF or CR line ends', async () => {
    // Exact chunk boundaries: a socket may merge writes, so the body is built here (no network).
    const chunks = ['data: ', 'a'.repeat(600), '\r', '\n', '\r', '\ndata: ', 'b'.repeat(600), '\n', '\ndata: ', 'c'.repeat(600), '\r\r'];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
        controller.close();
      },
    });
    const inner = async () => new Response(body, { headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
    const text = await (await capped(inner, CAP)('http://x')).text();
    expect(text).toBe(chunks.join(''));
  });
});
