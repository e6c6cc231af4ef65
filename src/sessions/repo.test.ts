import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase, type Db } from '../store/index.js';
import { MIGRATIONS } from '../store/migrations.js';
import { SessionRepo } from './repo.js';

const dirs: string[] = [];
const open: Db[] = [];

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-repo-'));
  dirs.push(dir);
  return dir;
}

function openDb(dir: string): Db {
  const db = openDatabase(dir);
  open.push(db);
  return db;
}

afterEach(async () => {
  for (const db of open.splice(0)) if (db.open) db.close();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const T0 = new Date('2024-03-09T07:05:04.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function start(repo: SessionRepo, sessionId: string, invocationId: string, startedAt: Date) {
  return repo.startInvocation({
    sessionId,
    invocationId,
    startedAt,
    prompt: `prompt ${invocationId}`,
    request: { prompt: `prompt ${invocationId}`, max_turns: 3 },
  });
}

describe('SessionRepo', () => {
  it('creates the session on the first invocation only, and records the latest invocation', async () => {
    const repo = new SessionRepo(openDb(await freshDir()));

    const first = start(repo, 's1', 'inv-1', at(0));
    expect(first).toEqual({
      id: 's1',
      created_at: at(0).toISOString(),
      updated_at: at(0).toISOString(),
      claude_session_id: null,
      owner_key_id: null,
      last_invocation_id: 'inv-1',
      event_seq_base: 0,
    });

    const second = start(repo, 's1', 'inv-2', at(10));
    expect(second).toMatchObject({
      id: 's1',
      created_at: at(0).toISOString(),
      updated_at: at(10).toISOString(),
      last_invocation_id: 'inv-2',
    });

    expect(repo.getInvocation('inv-1')).toEqual({
      id: 'inv-1',
      session_id: 's1',
      started_at: at(0).toISOString(),
      ended_at: null,
      status: 'running',
      prompt: 'prompt inv-1',
      request_json: JSON.stringify({ prompt: 'prompt inv-1', max_turns: 3 }),
      output_json: null,
      cost_usd: null,
    });
    expect(repo.getSession('nope')).toBeUndefined();
    expect(repo.getInvocation('nope')).toBeUndefined();
  });

  it('rejects a second invocation with the same id and leaves the session untouched', async () => {
    const repo = new SessionRepo(openDb(await freshDir()));
    start(repo, 's1', 'inv-1', at(0));
    expect(() => start(repo, 's1', 'inv-1', at(5))).toThrow(/UNIQUE/);
    expect(repo.getSession('s1')?.updated_at).toBe(at(0).toISOString());
  });

  it('stores how an invocation ended and the Claude Code session to resume', async () => {
    const repo = new SessionRepo(openDb(await freshDir()));
    start(repo, 's1', 'inv-1', at(0));
    const output = { output: { success: true, result: 'done' } };

    repo.finishInvocation({
      sessionId: 's1',
      invocationId: 'inv-1',
      status: 'succeeded',
      endedAt: at(30),
      output,
      costUsd: 0.0123,
      claudeSessionId: 'cc-1',
    });

    expect(repo.getInvocation('inv-1')).toMatchObject({ status: 'succeeded', ended_at: at(30).toISOString(), cost_usd: 0.0123 });
    expect(JSON.parse(repo.getInvocation('inv-1')?.output_json ?? 'null')).toEqual(output);
    expect(repo.getSession('s1')).toMatchObject({ claude_session_id: 'cc-1', updated_at: at(30).toISOString() });
  });

  it('keeps the previous Claude Code session when a run reports none', async () => {
    const repo = new SessionRepo(openDb(await freshDir()));
    start(repo, 's1', 'inv-1', at(0));
    repo.finishInvocation({
      sessionId: 's1',
      invocationId: 'inv-1',
      status: 'succeeded',
      endedAt: at(1),
      output: {},
      costUsd: 0,
      claudeSessionId: 'cc-1',
    });
    start(repo, 's1', 'inv-2', at(2));
    repo.finishInvocation({
      sessionId: 's1',
      invocationId: 'inv-2',
      status: 'failed',
      endedAt: at(3),
      output: {},
      costUsd: 0,
      claudeSessionId: undefined,
    });
    expect(repo.getSession('s1')?.claude_session_id).toBe('cc-1');
    expect(repo.getInvocation('inv-2')?.status).toBe('failed');
  });

  it("lists a session's invocations oldest first, ids breaking ties, and no other session's", async () => {
    const repo = new SessionRepo(openDb(await freshDir()));
    start(repo, 's1', 'inv-c', at(20));
    start(repo, 's1', 'inv-b', at(10));
    start(repo, 's2', 'inv-x', at(15));
    start(repo, 's1', 'inv-a', at(10));
    expect(repo.listInvocations('s1').map((i) => i.id)).toEqual(['inv-a', 'inv-b', 'inv-c']);
    expect(repo.listInvocations('s2').map((i) => i.id)).toEqual(['inv-x']);
    expect(repo.listInvocations('none')).toEqual([]);
  });

  it('lists only queued and running invocations, oldest first, as the invocations the process died in', async () => {
    const repo = new SessionRepo(openDb(await freshDir()));
    start(repo, 's1', 'done', at(0));
    repo.finishInvocation({
      sessionId: 's1',
      invocationId: 'done',
      status: 'succeeded',
      endedAt: at(1),
      output: {},
      costUsd: 0,
      claudeSessionId: undefined,
    });
    start(repo, 's2', 'run-2', at(3));
    start(repo, 's1', 'run-1', at(2));
    repo.startInvocation({ sessionId: 's3', invocationId: 'waiting', startedAt: at(4), prompt: 'p', request: {}, status: 'queued' });

    expect(repo.listUnfinished().map((i) => [i.id, i.status])).toEqual([
      ['run-1', 'running'],
      ['run-2', 'running'],
      ['waiting', 'queued'],
    ]);
    repo.finishInvocation({
      sessionId: 's1',
      invocationId: 'run-1',
      status: 'interrupted',
      endedAt: at(100),
      output: {},
      costUsd: 0,
      claudeSessionId: undefined,
    });
    expect(repo.listUnfinished().map((i) => i.id)).toEqual(['run-2', 'waiting']);
  });
});

describe('openDatabase and migrate', () => {
  it('keeps the data across a reopen of the same file', async () => {
    const dir = await freshDir();
    const db = openDb(dir);
    start(new SessionRepo(db), 's1', 'inv-1', at(0));
    db.close();

    const repo = new SessionRepo(openDb(dir));
    expect(repo.getSession('s1')?.last_invocation_id).toBe('inv-1');
    expect(repo.listInvocations('s1')).toHaveLength(1);
  });

  it('sets user_version to the number of migrations and is idempotent', async () => {
    const dir = await freshDir();
    const db = openDb(dir);
    expect(MIGRATIONS.length).toBeGreaterThan(0);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);

    expect(() => migrate(db)).not.toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();

    const reopened = openDb(dir);
    expect(reopened.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
  });

  it('refuses a database newer than this build', async () => {
    const db = openDb(await freshDir());
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    expect(() => migrate(db)).toThrow(/newer than this build/);
  });
});

describe('SessionRepo ownership and listing', () => {
  it("records the owner, and lists one owner's sessions newest first, page by page", async () => {
    const db = openDb(await freshDir());
    // Owners are API keys: the foreign key needs the rows.
    for (const id of ['k1', 'k2']) {
      db.prepare(
        `INSERT INTO api_keys (id, name, hash, created_at, rate_per_s, burst, daily_quota, max_concurrent) VALUES (?, ?, x'00', ?, 10, 20, 1000, 4)`,
      ).run(id, id, T0.toISOString());
    }
    const repo = new SessionRepo(db);
    for (const [i, owner] of (['k1', 'k2', 'k1', 'k1'] as const).entries()) {
      repo.startInvocation({
        sessionId: `s${i}`,
        invocationId: `i${i}`,
        startedAt: at(i),
        prompt: `p${i}`,
        request: {},
        ownerKeyId: owner,
      });
    }
    expect(repo.getSession('s1')?.owner_key_id).toBe('k2');
    const page1 = repo.listSessions('k1', 2);
    expect(page1.map((r) => r.id)).toEqual(['s3', 's2']);
    expect(page1[0]).toMatchObject({ last_status: 'running', last_prompt: 'p3', invocation_count: 1 });
    const last = page1[1] as { created_at: string; id: string };
    expect(repo.listSessions('k1', 2, { createdAt: last.created_at, id: last.id }).map((r) => r.id)).toEqual(['s0']);
    expect(repo.listSessions('k2', 10).map((r) => r.id)).toEqual(['s1']);
    expect(repo.listSessions(null, 10)).toEqual([]);
  });
});
