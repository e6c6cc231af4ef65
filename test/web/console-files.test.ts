/**
 * The console's pure parts (web/console/files-of.ts, reconnect.ts): the file list built from
 * `file.stored` events without asking the API, and when a broken event stream is reopened.
 */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../web/console/api-error.js';
import { filesOf, totalSize } from '../../web/console/files-of.js';
import { reconnectDelay, retryable } from '../../web/console/reconnect.js';
import type { RunEvent, SessionDetail } from '../../web/console/types.js';

let nextId = 1;
const stored = (invocation: string, file_name: string, key: string, size = 1): RunEvent => ({
  id: nextId++,
  session_id: 's',
  invocation_id: invocation,
  at: '2026-12-05T00:00:00Z',
  type: 'file.stored',
  data: { file_name, size, key, download_url: `/files/${key}?old` },
});

const detailWith = (files: { file_name: string; key: string }[]): SessionDetail => ({
  session_id: 's',
  created_at: '',
  updated_at: '',
  status: 'idle',
  invocation_count: 1,
  last_prompt: null,
  invocations: [
    {
      invocation_id: 'i1',
      status: 'succeeded',
      prompt: '',
      started_at: '',
      result: null,
      cost_usd: null,
      files: files.map((f) => ({ ...f, size: 1, download_url: `/files/${f.key}?fresh` })),
    },
  ],
});

describe('filesOf', () => {
  it('lists every stored file from the events alone, before any detail is loaded', () => {
    const events = Array.from({ length: 60 }, (_, i) => stored('i1', `f${i}.txt`, `k${i}`, 10));
    const files = filesOf(undefined, events);
    expect(files).toHaveLength(60);
    expect(totalSize(files)).toBe(600);
    expect(files[0]).toMatchObject({ file_name: 'f0.txt', download_url: '/files/k0?old', invocation_id: 'i1' });
  });

  it("keeps a path's latest version, with the detail's fresher link for the same stored key", () => {
    const events = [stored('i1', 'a.txt', 'k1'), stored('i2', 'a.txt', 'k2'), stored('i2', 'b.txt', 'k3')];
    const detail = detailWith([
      { file_name: 'a.txt', key: 'k1' },
      { file_name: 'c.txt', key: 'k4' },
    ]);
    expect(filesOf(detail, events).map((f) => [f.file_name, f.download_url])).toEqual([
      ['a.txt', '/files/k2?old'],
      ['b.txt', '/files/k3?old'],
      ['c.txt', '/files/k4?fresh'],
    ]);
    expect(filesOf(detailWith([{ file_name: 'a.txt', key: 'k2' }]), events)[0]!.download_url).toBe('/files/k2?fresh');
  });

  it('ignores other events and malformed data', () => {
    const bad: RunEvent = { ...stored('i1', 'x', 'k'), data: { file_name: 3 } };
    const text: RunEvent = { ...stored('i1', 'y', 'k'), type: 'assistant.text', data: { text: 'hi' } };
    expect(filesOf(undefined, [bad, text])).toEqual([]);
  });
});

describe('reconnecting', () => {
  it('backs off 1, 2, 4, 8 s, then 15 s', () => {
    expect([1, 2, 3, 4, 5, 9].map(reconnectDelay)).toEqual([1000, 2000, 4000, 8000, 15_000, 15_000]);
  });

  it('retries a dropped connection, a busy or failing server; never a refusal', () => {
    expect(retryable(new TypeError('network error'))).toBe(true);
    expect(retryable(new ApiError(429, 'slow down'))).toBe(true);
    expect(retryable(new ApiError(503, 'restarting'))).toBe(true);
    expect(retryable(new ApiError(403, 'revoked'))).toBe(false);
    expect(retryable(new ApiError(404, 'gone'))).toBe(false);
  });
});
