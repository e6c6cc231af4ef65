import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../store/index.js';
import { EventBus } from './bus.js';
import type { EventDraft } from './from-sdk.js';
import type { SessionEvent } from '../schemas/events.js';
import { SessionEvents, type StreamOptions } from './session-events.js';
import { EventStore } from './store.js';

const dirs: string[] = [];
const open: Db[] = [];

afterEach(async () => {
  for (const db of open.splice(0)) if (db.open) db.close();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A real database with sessions s1 and s2, the facade over it, and a switch for "is s1 active". */
async function setup() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-session-events-'));
  dirs.push(dir);
  const db = openDatabase(dir);
  open.push(db);
  const now = new Date().toISOString();
  for (const id of ['s1', 's2']) db.prepare('INSERT INTO sessions (id, created_at, updated_at) VALUES (?, ?, ?)').run(id, now, now);
  const store = new EventStore(db);
  const bus = new EventBus();
  const events = new SessionEvents(store, bus);
  const activity = { active: true };
  const options = (extra: Partial<StreamOptions> = {}): StreamOptions => ({ afterId: 0, isActive: () => activity.active, ...extra });
  return { store, bus, events, activity, options };
}

const text = (t: string): EventDraft => ({ type: 'assistant.text', data: { text: t } });
const completed: EventDraft = { type: 'invocation.completed', data: { status: 'succeeded', output: null } };

async function collect(stream: AsyncIterable<SessionEvent>): Promise<SessionEvent[]> {
  const all: SessionEvent[] = [];
  for await (const event of stream) all.push(event);
  return all;
}

describe('SessionEvents', () => {
  it('records and publishes an event', async () => {
    const { store, bus, events } = await setup();
    const seen: SessionEvent[] = [];
    bus.subscribe('s1', (e) => seen.push(e));
    const event = events.emit('s1', 'i1', text('hi'));
    expect(event).toMatchObject({ session_id: 's1', invocation_id: 'i1', type: 'assistant.text', data: { text: 'hi' } });
    expect(seen).toEqual([event]);
    expect(store.listAfter('s1', 0)).toEqual([event]);
  });

  it('replays and ends at once when nothing is active', async () => {
    const { events, activity, options } = await setup();
    const sent = [events.emit('s1', 'i1', text('a')), events.emit('s2', 'j1', text('other')), events.emit('s1', 'i1', completed)];
    activity.active = false;
    expect(await collect(events.stream('s1', options()))).toEqual([sent[0], sent[2]]);
    // A session whose run died without a completion still ends rather than hanging.
    events.emit('s1', 'i2', text('orphan'));
    expect((await collect(events.stream('s1', options({ afterId: sent[2]?.id ?? 0 })))).map((e) => e.data)).toEqual([{ text: 'orphan' }]);
  });

  it('replays past an earlier completion to the later invocations', async () => {
    const { events, activity, options } = await setup();
    const sent = [events.emit('s1', 'i1', completed), events.emit('s1', 'i2', text('b')), events.emit('s1', 'i2', completed)];
    activity.active = false;
    expect(await collect(events.stream('s1', options()))).toEqual(sent);
  });

  it('delivers live events and ends after a completion that leaves the session idle', async () => {
    const { events, activity, options } = await setup();
    const stream = events.stream('s1', options())[Symbol.asyncIterator]();
    const pending = stream.next();
    const first = events.emit('s1', 'i1', text('live'));
    expect(await pending).toEqual({ done: false, value: first });
    const next = stream.next();
    activity.active = false;
    const last = events.emit('s1', 'i1', completed);
    expect(await next).toEqual({ done: false, value: last });
    expect((await stream.next()).done).toBe(true);
  });

  it('keeps following after a completion while another invocation is queued', async () => {
    const { events, activity, options } = await setup();
    const stream = events.stream('s1', options())[Symbol.asyncIterator]();
    const first = stream.next();
    const sent = [events.emit('s1', 'i1', text('one')), events.emit('s1', 'i1', completed)];
    expect((await first).value).toEqual(sent[0]);
    expect((await stream.next()).value).toEqual(sent[1]);
    const pending = stream.next();
    sent.push(events.emit('s1', 'i2', text('two')));
    expect((await pending).value).toEqual(sent[2]);
    const last = stream.next();
    activity.active = false;
    sent.push(events.emit('s1', 'i2', completed));
    expect((await last).value).toEqual(sent[3]);
    expect((await stream.next()).done).toBe(true);
  });

  it('catches up a reader that lags behind several whole invocations', async () => {
    const { events, activity, options } = await setup();
    const stream = events.stream('s1', options())[Symbol.asyncIterator]();
    const first = stream.next();
    // Both runs end before the reader looks at anything: the first completion must not end the stream.
    const sent = [events.emit('s1', 'i1', text('one')), events.emit('s1', 'i1', completed), events.emit('s1', 'i2', text('two'))];
    activity.active = false;
    sent.push(events.emit('s1', 'i2', completed));
    const got = [(await first).value];
    for (let result = await stream.next(); !result.done; result = await stream.next()) got.push(result.value);
    expect(got).toEqual(sent);
  });

  it('resumes after an id with no gaps and no duplicates while events keep coming', async () => {
    const { events, activity, options } = await setup();
    const before = [events.emit('s1', 'i1', text('1')), events.emit('s1', 'i1', text('2')), events.emit('s1', 'i1', text('3'))];
    const stream = events.stream('s1', options({ afterId: before[0]?.id ?? 0 }))[Symbol.asyncIterator]();
    const got: number[] = [];
    const take = async () => {
      const result = await stream.next();
      if (!result.done) got.push(result.value.id);
      return result;
    };
    await take(); // '2', from the replay; the stream is now subscribed
    const during = events.emit('s1', 'i1', text('4')); // after the replay read its page: only the inbox has it
    await take();
    await take();
    const after = events.emit('s1', 'i1', text('5'));
    events.emit('s2', 'j1', text('elsewhere'));
    const pending = take();
    activity.active = false;
    const end = events.emit('s1', 'i1', completed);
    await pending;
    await take();
    expect((await take()).done).toBe(true);
    expect(got).toEqual([before[1]?.id, before[2]?.id, during.id, after.id, end.id]);
  });

  it('does not lose a completion that lands just after the replay', async () => {
    const { events, activity, options } = await setup();
    const started = events.emit('s1', 'i1', text('started'));
    const stream = events.stream('s1', options())[Symbol.asyncIterator]();
    expect((await stream.next()).value).toEqual(started);
    // The run finishes after the replay was read but before the stream waits for live events.
    activity.active = false;
    const end = events.emit('s1', 'i1', completed);
    expect((await stream.next()).value).toEqual(end);
    expect((await stream.next()).done).toBe(true);
  });

  it('ends after the completion of untilInvocation even while the session stays active', async () => {
    const { events, options } = await setup();
    const done = collect(events.stream('s1', options({ untilInvocation: 'i2' })));
    const sent = [events.emit('s1', 'i1', completed), events.emit('s1', 'i2', text('mine')), events.emit('s1', 'i2', completed)];
    events.emit('s1', 'i3', text('next run'));
    expect(await done).toEqual(sent);
    // In the replay too: the later invocation's events are not part of this stream.
    expect(await collect(events.stream('s1', options({ untilInvocation: 'i1' })))).toEqual([sent[0]]);
  });

  it('ends when the signal aborts and stops listening', async () => {
    const { bus, events, options } = await setup();
    const controller = new AbortController();
    const stream = events.stream('s1', options({ signal: controller.signal }))[Symbol.asyncIterator]();
    const pending = stream.next();
    await Promise.resolve();
    expect(bus.listenerCount('s1')).toBe(1);
    controller.abort();
    expect((await pending).done).toBe(true);
    expect(bus.listenerCount('s1')).toBe(0);
    events.emit('s1', 'i1', text('a'));
    expect(await collect(events.stream('s1', options({ signal: controller.signal })))).toEqual([]);
  });

  it('stops listening when the reader breaks out', async () => {
    const { bus, events, options } = await setup();
    events.emit('s1', 'i1', text('a'));
    for await (const event of events.stream('s1', options())) {
      expect(event.type).toBe('assistant.text');
      break;
    }
    expect(bus.listenerCount('s1')).toBe(0);
  });

  it('replays more than a page and buffers for a reader slower than the run', async () => {
    const { events, activity, options } = await setup();
    const sent: SessionEvent[] = [];
    for (let n = 0; n < 2500; n++) sent.push(events.emit('s1', 'i1', text(`old ${n}`)));
    const stream = events.stream('s1', options())[Symbol.asyncIterator]();
    const got: SessionEvent[] = [];
    const first = await stream.next();
    if (!first.done) got.push(first.value);
    // The run races ahead while the reader is paused.
    for (let n = 0; n < 3000; n++) sent.push(events.emit('s1', 'i1', text(`new ${n}`)));
    activity.active = false;
    sent.push(events.emit('s1', 'i1', completed));
    for (let result = await stream.next(); !result.done; result = await stream.next()) got.push(result.value);
    expect(got.map((e) => e.id)).toEqual(sent.map((e) => e.id));
  });
});
