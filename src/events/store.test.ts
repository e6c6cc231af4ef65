import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openDatabase, type Db } from '../store/index.js';
import { MIGRATIONS } from '../store/migrations.js';
import { SessionEventSchema } from '../schemas/events.js';
import { EventStore } from './store.js';
import { SessionRepo } from '../sessions/index.js';

const dirs: string[] = [];
const open: Db[] = [];

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-events-'));
  dirs.push(dir);
  return dir;
}

/** Opens the database with the sessions the events belong to (events reference sessions). */
function openDb(dir: string, sessions: string[] = []): Db {
  const db = openDatabase(dir);
  open.push(db);
  const now = new Date().toISOString();
  for (const id of sessions) db.prepare('INSERT OR IGNORE INTO sessions (id, created_at, updated_at) VALUES (?, ?, ?)').run(id, now, now);
  return db;
}

afterEach(async () => {
  for (const db of open.splice(0)) if (db.open) db.close();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const T0 = new Date('2025-01-01T12:00:00.000Z');

describe('EventStore', () => {
  it('appends an event and returns it as stored', async () => {
    const store = new EventStore(openDb(await freshDir(), ['s1']));
    const event = store.append({ session_id: 's1', invocation_id: 'i1', type: 'assistant.text', data: { text: 'hi' } }, T0);
    expect(event).toEqual({
      id: expect.any(Number),
      session_id: 's1',
      invocation_id: 'i1',
      at: T0.toISOString(),
      type: 'assistant.text',
      data: { text: 'hi' },
    });
    expect(SessionEventSchema.parse(event)).toEqual(event);
    expect(store.listAfter('s1', 0)).toEqual([event]);
  });

  it('lists one session after an id, oldest first, in pages', async () => {
    const store = new EventStore(openDb(await freshDir(), ['s1', 's2']));
    const ids: number[] = [];
    for (let n = 0; n < 5; n++) {
      ids.push(store.append({ session_id: 's1', invocation_id: 'i1', type: 'assistant.text', data: { text: `t${n}` } }).id);
      store.append({ session_id: 's2', invocation_id: 'j1', type: 'assistant.text', data: { text: 'other' } });
    }
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(5);
    expect(store.listAfter('s1', 0).map((e) => e.id)).toEqual(ids);
    expect(store.listAfter('s1', ids[1] as number).map((e) => e.data)).toEqual([{ text: 't2' }, { text: 't3' }, { text: 't4' }]);
    expect(store.listAfter('s1', ids[0] as number, 2).map((e) => e.id)).toEqual(ids.slice(1, 3));
    expect(store.listAfter('s1', ids[4] as number)).toEqual([]);
    expect(store.listAfter('s2', 0).every((e) => e.session_id === 's2')).toBe(true);
  });

  it('gives the last id of a session, 0 when it has none', async () => {
    const store = new EventStore(openDb(await freshDir(), ['s1', 's2']));
    expect(store.lastId('s1')).toBe(0);
    const a = store.append({ session_id: 's1', invocation_id: 'i1', type: 'invocation.started', data: { resumed: false } });
    const b = store.append({ session_id: 's2', invocation_id: 'j1', type: 'invocation.started', data: { resumed: true } });
    expect(store.lastId('s1')).toBe(a.id);
    expect(store.lastId('s2')).toBe(b.id);
    expect(store.lastId('nobody')).toBe(0);
  });

  it('keeps events, with nested data, across a reopen and continues the ids', async () => {
    const dir = await freshDir();
    const first = openDb(dir, ['s1']);
    const output = null;
    const before = new EventStore(first).append(
      { session_id: 's1', invocation_id: 'i1', type: 'invocation.completed', data: { status: 'failed', output } },
      T0,
    );
    const usage = new EventStore(first).append({
      session_id: 's1',
      invocation_id: 'i1',
      type: 'usage',
      data: { usage: { input_tokens: 1, output_tokens: 2, cache_creation_input_tokens: 3, cache_read_input_tokens: 4 } },
    });
    first.close();
    const store = new EventStore(openDb(dir));
    expect(store.listAfter('s1', 0)).toEqual([before, usage]);
    const after = store.append({ session_id: 's1', invocation_id: 'i2', type: 'invocation.queued', data: { prompt: 'again' } });
    expect(after.id).toBeGreaterThan(usage.id);
  });

  it('refuses an event of a session that does not exist', async () => {
    const store = new EventStore(openDb(await freshDir()));
    expect(() => store.append({ session_id: 'ghost', invocation_id: 'i', type: 'assistant.text', data: { text: 'x' } })).toThrow(
      /FOREIGN KEY/,
    );
  });

  it('numbers events 1, 2, 3... in each session, whatever other sessions do', async () => {
    const store = new EventStore(openDb(await freshDir(), ['s1', 's2']));
    const ids: Record<string, number[]> = { s1: [], s2: [] };
    for (let n = 0; n < 3; n++) {
      ids.s1?.push(store.append({ session_id: 's1', invocation_id: 'i1', type: 'assistant.text', data: { text: `a${n}` } }).id);
      for (let m = 0; m < 5; m++) {
        ids.s2?.push(store.append({ session_id: 's2', invocation_id: 'j1', type: 'assistant.text', data: { text: 'busy' } }).id);
      }
    }
    expect(ids.s1).toEqual([1, 2, 3]);
    expect(ids.s2).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(store.listAfter('s1', 1).map((e) => e.id)).toEqual([2, 3]);
  });
});

describe('the migration to per-session event ids', () => {
  it('keeps old (global) ids, so a Last-Event-ID held before it still resumes, and continues each session after its last', async () => {
    const dir = await freshDir();
    // A database as the previous release left it: four migrations, ids shared by all sessions.
    const old = new Database(path.join(dir, 'cca.db'));
    old.transaction(() => {
      for (const sql of MIGRATIONS.slice(0, 4)) old.exec(sql);
      old.pragma('user_version = 4');
    })();
    const now = T0.toISOString();
    for (const id of ['s1', 's2']) old.prepare('INSERT INTO sessions (id, created_at, updated_at) VALUES (?, ?, ?)').run(id, now, now);
    const insert = old.prepare(
      `INSERT INTO events (session_id, invocation_id, type, data, created_at) VALUES (?, 'i', 'assistant.text', ?, ?)`,
    );
    for (const [session, text] of [
      ['s1', 'a'],
      ['s2', 'x'],
      ['s1', 'b'],
      ['s2', 'y'],
      ['s1', 'c'],
    ] as const) {
      insert.run(session, JSON.stringify({ text }), now);
    }
    old.close();

    const store = new EventStore(openDb(dir));
    expect(store.listAfter('s1', 0).map((e) => [e.id, e.data])).toEqual([
      [1, { text: 'a' }],
      [3, { text: 'b' }],
      [5, { text: 'c' }],
    ]);
    // A client that saw global id 3 of s1 gets exactly what followed it.
    expect(store.listAfter('s1', 3).map((e) => e.data)).toEqual([{ text: 'c' }]);
    expect(store.append({ session_id: 's1', invocation_id: 'i2', type: 'assistant.text', data: { text: 'd' } }).id).toBe(6);
    expect(store.append({ session_id: 's2', invocation_id: 'j2', type: 'assistant.text', data: { text: 'z' } }).id).toBe(5);
    expect(store.lastId('s2')).toBe(5);
  });

  it('numbers the events of a session taken in from another worker after the saved ones, never below its own', async () => {
    const db = openDb(await freshDir());
    const sessions = new SessionRepo(db);
    const store = new EventStore(db);
    sessions.importSession({ id: 's1', createdAt: T0.toISOString(), ownerKeyId: undefined, claudeSessionId: 'c1', eventSeqBase: 12 });
    expect(store.lastId('s1')).toBe(12);
    expect(store.append({ session_id: 's1', invocation_id: 'i2', type: 'assistant.text', data: { text: 'a' } }).id).toBe(13);
    expect(sessions.getSession('s1')).toMatchObject({ claude_session_id: 'c1', event_seq_base: 12 });
    // Taken in again with an older save: ids here never go back.
    sessions.importSession({ id: 's1', createdAt: T0.toISOString(), ownerKeyId: undefined, claudeSessionId: 'c2', eventSeqBase: 5 });
    expect(store.append({ session_id: 's1', invocation_id: 'i3', type: 'assistant.text', data: { text: 'b' } }).id).toBe(14);
    // A newer save from elsewhere moves them past its events.
    sessions.importSession({ id: 's1', createdAt: T0.toISOString(), ownerKeyId: undefined, claudeSessionId: 'c3', eventSeqBase: 40 });
    expect(store.append({ session_id: 's1', invocation_id: 'i4', type: 'assistant.text', data: { text: 'c' } }).id).toBe(41);
    expect(sessions.getSession('s1')?.claude_session_id).toBe('c3');
  });
});
