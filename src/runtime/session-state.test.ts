/**
 * Durable session state at admission: tenancy across workers, a stranger's probe, and the store
 * being down (two workers on one directory store, real SQLite; no run: the trees are written here).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { DirObjects, DurableSessions, type ObjectStore } from '../durable/index.js';
import { EventBus, EventStore, SessionEvents } from '../events/index.js';
import { SessionRepo } from '../sessions/index.js';
import { openDatabase, type Db } from '../store/index.js';
import { makeSessionDirs } from '../workspace/index.js';
import { claimSession, restoreForRun, saveAtEnd, withSessionHeld } from './session-state.js';

const logger = pino({ level: 'silent' });
const open: Db[] = [];
afterAll(() => open.forEach((d) => d.close()));

async function worker(objects: ObjectStore, name: string) {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), `cca-state-${name}-`));
  const db = openDatabase(base);
  open.push(db);
  for (const k of ['key-A', 'key-B'])
    db.prepare(
      `INSERT INTO api_keys (id, name, hash, created_at, rate_per_s, burst, daily_quota, max_concurrent) VALUES (?, ?, x'00', ?, 10, 20, 1000, 4)`,
    ).run(k, k, new Date().toISOString());
  const sessions = new SessionRepo(db);
  const events = new SessionEvents(new EventStore(db), new EventBus());
  const durable = new DurableSessions({ objects, leaseMs: 30_000, maxEntries: 100_000, maxBytes: 2 ** 30, worker: name, logger });
  return { base, deps: { durable, sessions, events }, sessions };
}
type Worker = Awaited<ReturnType<typeof worker>>;

/** What an invocation does with the session state, with `write` standing for the run. */
async function invoke(w: Worker, sessionId: string, owner: string, write?: (ws: string) => Promise<void>) {
  const invocationId = `inv-${Math.random()}`;
  const { claim } = await claimSession(w.deps, w.base, { sessionId, invocationId, ownerKeyId: owner, isNew: false }, logger);
  w.sessions.startInvocation({
    sessionId,
    invocationId,
    startedAt: new Date(),
    prompt: 'p',
    request: {},
    ownerKeyId: owner,
    status: 'queued',
  });
  const dirs = await makeSessionDirs(w.base, sessionId);
  const r = await restoreForRun(w.deps, claim!, { sessionId, invocationId }, dirs, logger);
  expect(r.failed).toBeUndefined();
  if (write) await write(dirs.workspace);
  const report = await saveAtEnd(
    w.deps,
    claim!,
    {
      sessionId,
      invocationId,
      ownerKeyId: owner,
      dirs,
      claudeSessionId: `claude-of-${owner}`,
      repository: undefined,
      restored: r.restored,
    },
    logger,
  );
  return { dirs, report };
}

const store = async () => new DirObjects(await fs.mkdtemp(path.join(os.tmpdir(), 'cca-state-store-')));
const claimAs = (w: Worker, sessionId: string, owner: string, invocationId = `i-${Math.random()}`) =>
  claimSession(w.deps, w.base, { sessionId, invocationId, ownerKeyId: owner, isNew: false }, logger);

describe('saved sessions across workers', () => {
  it("keeps key A's saved session from key B, even where B has a local record of its id", async () => {
    const objects = await store();
    const [w1, w2] = [await worker(objects, 'W1'), await worker(objects, 'W2')];
    await invoke(w1, 'proj', 'key-A', (ws) => fs.writeFile(path.join(ws, 'a-secret.txt'), 'A only'));
    // B sends files to the same id on a worker that never saw it.
    w2.sessions.createSession('proj', 'key-B');
    await expect(claimAs(w2, 'proj', 'key-B')).rejects.toMatchObject({ status: 404 });
    await expect(fs.access(path.join(w2.base, 'sessions', 'proj', 'workspace', 'a-secret.txt'))).rejects.toThrow();
    expect(w2.sessions.getSession('proj')?.claude_session_id).toBeNull();
    // A continues it on W2 only if W2's record agrees on the owner: here it does not, so not there either.
    await expect(claimAs(w2, 'proj', 'key-A')).rejects.toMatchObject({ status: 404 });
    // On W1 A goes on as before.
    const again = await invoke(w1, 'proj', 'key-A');
    expect(again.report.saved?.generation).toBe(2);
  });

  it("answers a stranger's probe 404 without taking the lease, whether the owner's run is idle or running", async () => {
    const objects = await store();
    const [w1, w2] = [await worker(objects, 'W1'), await worker(objects, 'W2')];
    await invoke(w1, 'secret-proj', 'key-A');
    const [b, a] = await Promise.allSettled([claimAs(w2, 'secret-proj', 'key-B'), claimAs(w1, 'secret-proj', 'key-A')]);
    expect(b.status === 'rejected' && (b.reason as { status?: number }).status).toBe(404);
    expect(a.status).toBe('fulfilled');
    // While A's run holds it, B still hears "not found", never "running".
    await expect(claimAs(w2, 'secret-proj', 'key-B')).rejects.toMatchObject({ status: 404 });
    if (a.status === 'fulfilled') await a.value.claim!.lease.release();
  });
});

describe('the store down', () => {
  it('refuses a session that may have a newer save elsewhere (502), and runs only one that cannot exist yet, unsaved', async () => {
    const dir = await store();
    let down = false;
    const flaky = new Proxy(dir, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) =>
          down
            ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
            : (v as (...a: unknown[]) => unknown).apply(target, args);
      },
    });
    const [w1, w2] = [await worker(flaky, 'W1'), await worker(flaky, 'W2')];
    await invoke(w1, 'sess', 'key-A', (ws) => fs.writeFile(path.join(ws, 'v1.txt'), '1'));
    await invoke(w2, 'sess', 'key-A', (ws) => fs.writeFile(path.join(ws, 'v2.txt'), '2'));
    down = true;
    await expect(claimAs(w1, 'sess', 'key-A')).rejects.toMatchObject({ status: 502, code: 'session_store_unavailable' });
    const fresh = await claimSession(
      w1.deps,
      w1.base,
      { sessionId: 'made-just-now', invocationId: 'x', ownerKeyId: 'key-A', isNew: true },
      logger,
    );
    expect(fresh.claim).toBeUndefined();
    expect(fresh.unsaved).toMatch(/not saved/);
    down = false;
    // W1 continues from W2's save, not from its stale copy.
    const { dirs } = await invoke(w1, 'sess', 'key-A');
    expect(await fs.readFile(path.join(dirs.workspace, 'v2.txt'), 'utf8')).toBe('2');
  });
});

describe('an upload with durable state', () => {
  it.skipIf(process.getuid?.() !== 0)('gives what it restored to the run user before the files go in', async () => {
    const objects = await store();
    const [w1, w2] = [await worker(objects, 'W1'), await worker(objects, 'W2')];
    await invoke(w1, 'up', 'key-A', (ws) => fs.writeFile(path.join(ws, 'earlier.txt'), 'from a run'));
    const user = { uid: 65534, gid: 65534 };
    w2.sessions.createSession('up', 'key-A');
    await withSessionHeld({ ...w2.deps, limits: { user } }, w2.base, { sessionId: 'up', ownerKeyId: 'key-A' }, logger, async () => {
      const ws = path.join(w2.base, 'sessions', 'up', 'workspace');
      await fs.writeFile(path.join(ws, 'uploaded.txt'), 'sent');
    });
    const restored = await fs.stat(path.join(w2.base, 'sessions', 'up', 'workspace', 'earlier.txt'));
    expect([restored.uid, restored.gid]).toEqual([65534, 65534]);
  });

  it('answers an error, not success, when the session cannot be saved after the files went in', async () => {
    const dir = await store();
    let failPuts = false;
    const flaky = new Proxy(dir, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) =>
          failPuts && (prop === 'put' || prop === 'putFile') && !String(args[0]).endsWith('lease.json')
            ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
            : (v as (...a: unknown[]) => unknown).apply(target, args);
      },
    });
    const w = await worker(flaky, 'W');
    await invoke(w, 'up2', 'key-A');
    failPuts = true;
    const err = await withSessionHeld(w.deps, w.base, { sessionId: 'up2', ownerKeyId: 'key-A' }, logger, async () => 'written').catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ status: 502 });
    expect((err as Error).message).toMatch(/received on this worker, but the session could not be saved/);
  });
});
