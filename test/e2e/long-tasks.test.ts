/**
 * Long tasks (issue 4): async invocations and status transitions, live event streams and their
 * replay, cancel, remote approval in manual mode, and callers that go away. Real Claude Code,
 * scripted model, real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionEventSchema, type SessionEvent } from '../../src/events/index.js';
import { parseSseStream } from '../support/sse.js';
import { scenarios, text, toolUse } from '../support/model-server.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let key: string;

const headers = (extra: Record<string, string> = {}) => ({ 'x-api-key': key, 'content-type': 'application/json', ...extra });

async function post(path: string, body: unknown, extra: Record<string, string> = {}) {
  const res = await fetch(`${svc.url}${path}`, { method: 'POST', headers: headers(extra), body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

async function session(id: string) {
  return (await (await fetch(`${svc.url}/sessions/${id}`, { headers: headers() })).json()) as any;
}

/** Reads an SSE response to its end (or until `stopAfter` events), validating every event. */
async function readEvents(res: Response, stopAfter = Number.POSITIVE_INFINITY, abort?: AbortController): Promise<SessionEvent[]> {
  const events: SessionEvent[] = [];
  if (!res.body) throw new Error('no body');
  for await (const message of parseSseStream(res.body)) {
    const event = SessionEventSchema.parse(JSON.parse(message.data)) as SessionEvent;
    expect(message.id).toBe(String(event.id));
    expect(message.event).toBe(event.type);
    events.push(event);
    if (events.length >= stopAfter) {
      abort?.abort();
      break;
    }
  }
  return events;
}

function eventsOf(sessionId: string, init: { lastEventId?: number; signal?: AbortSignal } = {}) {
  return fetch(`${svc.url}/sessions/${sessionId}/events`, {
    headers: headers(init.lastEventId !== undefined ? { 'Last-Event-ID': String(init.lastEventId) } : {}),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}

beforeAll(async () => {
  svc = await startTestService({
    mode: 'serve',
    env: { CCA_MAX_RUNS: '1', CCA_MAX_QUEUE: '8' },
    responder: scenarios({
      work: [
        { content: [text('Writing the script.'), toolUse('Write', { file_path: 'hello.py', content: 'print("hi")\n' })] },
        { content: [toolUse('Bash', { command: 'python3 hello.py > out.txt', description: 'run it' })] },
        { content: [text('Wrote and ran hello.py.')] },
      ],
      slow: [{ content: [text('taking my time')], delayMs: 1500 }],
      stuck: [{ content: [toolUse('Write', { file_path: 'partial.txt', content: 'before the cancel\n' })] }, { hang: true }],
      ask: [{ content: [toolUse('Write', { file_path: 'approved.txt', content: 'yes\n' })] }, { content: [text('asked')] }],
    }),
  });
  key = svc.runtime.keys.create('long', { ratePerS: 1000, burst: 1000, dailyQuota: 100_000, maxConcurrent: 8 }).key;
});
afterAll(async () => svc?.close());

describe('async invocations', () => {
  it('answers 202 at once and walks queued → running → succeeded, with the full output at the end', async () => {
    const blocker = await post('/invoke', { prompt: '[[scenario:slow]] hold the only slot', async: true });
    expect(blocker.status).toBe(202);
    const res = await fetch(`${svc.url}/invoke`, {
      method: 'POST',
      headers: headers({ Prefer: 'respond-async' }),
      body: JSON.stringify({ prompt: '[[scenario:work]] go' }),
    });
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as any;
    expect(accepted).toMatchObject({ session_id: expect.any(String), invocation_id: expect.any(String), status: 'queued' });
    expect(accepted.status_url).toBe(`${svc.url}/sessions/${accepted.session_id}`);
    expect(accepted.events_url).toBe(`${accepted.status_url}/events`);

    const seen = new Set<string>();
    const final = await waitFor(async () => {
      const s = await session(accepted.session_id);
      seen.add(s.status);
      return ['succeeded', 'failed'].includes(s.status) ? s : undefined;
    });
    expect([...seen]).toEqual(expect.arrayContaining(['queued', 'running', 'succeeded']));
    const inv = final.invocations[0];
    expect(inv).toMatchObject({
      invocation_id: accepted.invocation_id,
      status: 'succeeded',
      success: true,
      result: 'Wrote and ran hello.py.',
    });
    expect(inv.files.map((f: any) => f.file_name).sort()).toEqual(['hello.py', 'out.txt']);
  });
});

describe('live events', () => {
  it('streams the run in order over POST /invoke with Accept: text/event-stream and ends with the output', async () => {
    const res = await fetch(`${svc.url}/invoke`, {
      method: 'POST',
      headers: headers({ Accept: 'text/event-stream' }),
      body: JSON.stringify({ prompt: '[[scenario:work]] go' }),
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = await readEvents(res);
    const ids = events.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(events.map((e) => e.invocation_id)).size).toBe(1);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('invocation.queued');
    expect(types[1]).toBe('invocation.started');
    expect(types.at(-1)).toBe('invocation.completed');
    const calls = events.filter((e) => e.type === 'tool.call');
    expect(calls.map((e) => [e.data.tool, e.data.summary])).toEqual([
      ['Write', expect.stringContaining('hello.py')],
      ['Bash', expect.stringContaining('python3 hello.py > out.txt')],
    ]);
    const results = events.filter((e) => e.type === 'tool.result');
    expect(results.map((e) => e.data.tool_use_id)).toEqual(calls.map((e) => e.data.tool_use_id));
    // Each tool result comes after its call.
    for (const r of results) expect(r.id).toBeGreaterThan(calls.find((c) => c.data.tool_use_id === r.data.tool_use_id)!.id);
    expect(events.filter((e) => e.type === 'assistant.text').map((e) => e.data.text)).toContain('Wrote and ran hello.py.');
    expect(events.some((e) => e.type === 'usage' && e.data.usage.output_tokens > 0)).toBe(true);
    const stored = events.filter((e) => e.type === 'file.stored').map((e) => e.data.file_name);
    expect(stored.sort()).toEqual(['hello.py', 'out.txt']);
    const completed = events.at(-1);
    if (completed?.type !== 'invocation.completed') throw new Error('last event is not the completion');
    expect(completed.data.status).toBe('succeeded');
    expect(completed.data.output?.output.metadata.uploaded_files).toHaveLength(2);
  });

  it('replays what a reconnecting client missed after Last-Event-ID: no gaps, no duplicates', async () => {
    const accepted = (await post('/invoke', { prompt: '[[scenario:work]] go', async: true })).body;
    const abort = new AbortController();
    const firstPart = await readEvents(await eventsOf(accepted.session_id, { signal: abort.signal }), 3, abort);
    expect(firstPart).toHaveLength(3);
    const rest = await readEvents(await eventsOf(accepted.session_id, { lastEventId: firstPart[2]!.id }));
    const joined = [...firstPart, ...rest].map((e) => e.id);
    const everything = (await readEvents(await eventsOf(accepted.session_id))).map((e) => e.id);
    expect(joined).toEqual(everything);
    expect(new Set(joined).size).toBe(joined.length);
    expect(rest.at(-1)?.type).toBe('invocation.completed');
    // ?after= works like the header.
    const viaQuery = await readEvents(
      await fetch(`${svc.url}/sessions/${accepted.session_id}/events?after=${firstPart[2]!.id}`, { headers: headers() }),
    );
    expect(viaQuery.map((e) => e.id)).toEqual(rest.map((e) => e.id));
    // Last-Event-ID wins over ?after=, which is then not even read.
    const headerWins = await readEvents(
      await fetch(`${svc.url}/sessions/${accepted.session_id}/events?after=abc`, {
        headers: headers({ 'Last-Event-ID': String(firstPart[2]!.id) }),
      }),
    );
    expect(headerWins.map((e) => e.id)).toEqual(rest.map((e) => e.id));
    const bad = await fetch(`${svc.url}/sessions/${accepted.session_id}/events?after=-1`, { headers: headers() });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      field: 'after',
      message: 'Last-Event-ID / after must be the id of an event (a non-negative integer).',
    });
    // An unknown session is a 404 whatever the event id.
    const unknown = await fetch(`${svc.url}/sessions/no-such-session/events?after=-1`, { headers: headers() });
    expect(unknown.status).toBe(404);
  });
});

describe('cancel', () => {
  it('stops a run within seconds, stores what it wrote, and ends cancelled', async () => {
    const accepted = (await post('/invoke', { prompt: '[[scenario:stuck]] go', async: true })).body;
    // Wait until the file is written (its tool result arrived), then cancel.
    const abort = new AbortController();
    const res = await eventsOf(accepted.session_id, { signal: abort.signal });
    for await (const m of parseSseStream(res.body!)) {
      if (JSON.parse(m.data).type === 'tool.result') break;
    }
    abort.abort();
    const started = Date.now();
    const cancel = await post(`/sessions/${accepted.session_id}/cancel`, {});
    expect(cancel).toMatchObject({ status: 202, body: { invocation_id: accepted.invocation_id, status: 'cancelling' } });
    const final = await waitFor(async () => {
      const s = await session(accepted.session_id);
      return s.status === 'cancelled' ? s : undefined;
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(final.invocations[0]).toMatchObject({ success: false, stop_reason: 'cancelled' });
    expect(final.invocations[0].files.map((f: any) => f.file_name)).toEqual(['partial.txt']);
    expect((await post(`/sessions/${accepted.session_id}/cancel`, {})).status).toBe(409);
  });

  it('refuses a second invocation on a running session with 409', async () => {
    const accepted = (await post('/invoke', { prompt: '[[scenario:slow]] go', async: true })).body;
    const second = await post('/invoke', { prompt: 'again', session_id: accepted.session_id, async: true });
    expect(second.status).toBe(409);
    await waitFor(async () => (await session(accepted.session_id)).status === 'succeeded');
  });
});

describe('manual mode with remote approval', () => {
  async function permissionRequest(sessionId: string): Promise<{ request_id: string; tool: string }> {
    const abort = new AbortController();
    const res = await eventsOf(sessionId, { signal: abort.signal });
    for await (const m of parseSseStream(res.body!)) {
      const event = JSON.parse(m.data);
      if (event.type === 'permission.request') {
        abort.abort();
        return event.data;
      }
    }
    throw new Error('no permission request');
  }

  it('runs the tool when approved', async () => {
    const accepted = (await post('/invoke', { prompt: '[[scenario:ask]] go', permission_mode: 'manual', async: true })).body;
    const request = await permissionRequest(accepted.session_id);
    expect(request.tool).toBe('Write');
    const answer = await post(`/sessions/${accepted.session_id}/permissions/${request.request_id}`, { decision: 'allow' });
    expect(answer).toMatchObject({ status: 200, body: { request_id: request.request_id, decision: 'allow' } });
    const again = await post(`/sessions/${accepted.session_id}/permissions/${request.request_id}`, { decision: 'deny' });
    expect(again.status).toBe(409);
    const final = await waitFor(async () => {
      const s = await session(accepted.session_id);
      return s.status === 'succeeded' ? s : undefined;
    });
    expect(final.invocations[0].files.map((f: any) => f.file_name)).toEqual(['approved.txt']);
  });

  it('does not run the tool when denied, and records why', async () => {
    const accepted = (await post('/invoke', { prompt: '[[scenario:ask]] go', permission_mode: 'manual', async: true })).body;
    const request = await permissionRequest(accepted.session_id);
    await post(`/sessions/${accepted.session_id}/permissions/${request.request_id}`, { decision: 'deny', message: 'not today' });
    const final = await waitFor(async () => {
      const s = await session(accepted.session_id);
      return ['succeeded', 'failed'].includes(s.status) ? s : undefined;
    });
    expect(final.invocations[0].files).toEqual([]);
    const events = await readEvents(await eventsOf(accepted.session_id));
    expect(events.find((e) => e.type === 'permission.decision')?.data).toMatchObject({ decision: 'deny', by: 'api', message: 'not today' });
  });

  it('denies when nobody answers within approval_timeout_s, and a sync caller simply waits', async () => {
    const started = Date.now();
    const { body } = await post('/invoke', { prompt: '[[scenario:ask]] go', permission_mode: 'manual', approval_timeout_s: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(body.output.metadata.uploaded_files).toEqual([]);
    expect(body.output.permission_denials).toEqual([
      expect.objectContaining({ tool_name: 'Write', reason: expect.stringMatching(/no answer within 1 s/) }),
    ]);
  });

  it('lets a sync caller be approved from elsewhere', async () => {
    const sessionId = `manual-sync-${Date.now()}`;
    const pending = post('/invoke', { prompt: '[[scenario:ask]] go', permission_mode: 'manual', session_id: sessionId });
    const request = await waitFor(async () => {
      try {
        return await permissionRequest(sessionId);
      } catch {
        return undefined;
      }
    });
    await post(`/sessions/${sessionId}/permissions/${request.request_id}`, { decision: 'allow' });
    const { body } = await pending;
    expect(body.output.metadata.uploaded_files.map((f: any) => f.file_name)).toEqual(['approved.txt']);
  });
});

describe('a caller that goes away', () => {
  it('loses nothing: the run finishes and its result is retrievable', async () => {
    const sessionId = `gone-${Date.now()}`;
    const abort = new AbortController();
    const request = fetch(`${svc.url}/invoke`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ prompt: '[[scenario:work]] go', session_id: sessionId }),
      signal: abort.signal,
    }).catch((err: unknown) => err);
    await waitFor(async () => {
      const res = await fetch(`${svc.url}/sessions/${sessionId}`, { headers: headers() });
      return res.status === 200 && ((await res.json()) as any).status === 'running';
    });
    abort.abort();
    expect(await request).toBeInstanceOf(Error);
    const final = await waitFor(async () => {
      const s = await session(sessionId);
      return s.status === 'succeeded' ? s : undefined;
    });
    expect(final.invocations[0].files.map((f: any) => f.file_name).sort()).toEqual(['hello.py', 'out.txt']);
  });
});

describe('session state mirror', () => {
  it('mirrors queued → running → succeeded with the output, in order', async () => {
    const puts: { status: string; output: unknown }[] = [];
    const records = new Map<string, unknown>();
    const mirrored = await startTestService({
      mode: 'serve',
      responder: scenarios({
        work: [{ content: [toolUse('Write', { file_path: 'm.txt', content: 'm\n' })] }, { content: [text('mirrored')] }],
      }),
      state: {
        // A real in-memory mirror: slow writes, so out-of-order landing would show.
        put: async (record) => {
          await new Promise((r) => setTimeout(r, record.status === 'queued' ? 50 : 0));
          puts.push({ status: record.status, output: record.output });
          records.set(record.session_id, record);
        },
        get: async (id) => records.get(id) as never,
      },
    });
    try {
      const k = mirrored.runtime.keys.create('mirror').key;
      const res = await fetch(`${mirrored.url}/invoke`, {
        method: 'POST',
        headers: { 'x-api-key': k },
        body: JSON.stringify({ prompt: '[[scenario:work]] go' }),
      });
      const body = (await res.json()) as any;
      await mirrored.runtime.service.mirrorsSettled();
      expect(puts.map((p) => p.status)).toEqual(['queued', 'running', 'succeeded']);
      expect(puts[2]?.output).toEqual(body);
      expect(records.get(body.output.session_id)).toMatchObject({
        owner: expect.any(String),
        invocation_id: body.output.invocation_id,
        status: 'succeeded',
      });
    } finally {
      await mirrored.close();
    }
  });
});
