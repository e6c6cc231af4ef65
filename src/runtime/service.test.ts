/**
 * The facade without HTTP and without a run of Claude Code: the paths where the service itself
 * must keep its promises (nothing half-recorded, no slot lost, the last event always emitted and
 * the session idle when it is). Real SQLite, store, slots and events; faults come from the
 * database itself (a trigger) or from the data dir, not from stand-ins.
 */
import { CredentialBroker } from '../broker/index.js';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore, UrlSigner } from '../artifacts/index.js';
import { loadConfig, type Config } from '../config/index.js';
import { toErrorResponse } from '../errors/index.js';
import { EventBus, EventStore, SessionEvents, type SessionEvent } from '../events/index.js';
import { KeyRepo } from '../keys/index.js';
import { parseInvocation } from '../http/invocation-request.js';
import { silentLogger } from '../logging/index.js';
import { SessionRepo } from '../sessions/index.js';
import type { SessionStateRecord, StateMirror } from '../state/index.js';
import { openDatabase, type Db } from '../store/index.js';
import { sessionDirs } from '../workspace/index.js';
import { Activity } from './activity.js';
import { StateWriter } from './state-writer.js';
import { InvocationService } from './service.js';
import { RunSlots } from './slots.js';

class RecordingMirror implements StateMirror {
  readonly puts: SessionStateRecord[] = [];
  async put(record: SessionStateRecord): Promise<void> {
    this.puts.push(record);
  }
  async get(): Promise<undefined> {
    return undefined;
  }
}

let dir: string;
let config: Config;
let db: Db;
let sessions: SessionRepo;
let slots: RunSlots;
let activity: Activity;
let mirror: RecordingMirror;
let service: InvocationService;
/** Every event, with whether its session was still active when it was published. */
let seen: { event: SessionEvent; active: boolean }[];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cca-service-'));
  config = loadConfig({ 'data-dir': dir }, { ANTHROPIC_API_KEY: 'sk-x' });
  db = openDatabase(dir);
  sessions = new SessionRepo(db);
  slots = new RunSlots({ globalMax: 1, maxQueue: 4 });
  activity = new Activity();
  mirror = new RecordingMirror();
  const bus = new EventBus();
  const events = new SessionEvents(new EventStore(db), bus);
  const signer = new UrlSigner(Buffer.from('test-secret'));
  const store = new LocalArtifactStore({ root: path.join(dir, 'artifacts'), signer, expiresInSeconds: 600 });
  const logger = silentLogger();
  service = new InvocationService({
    config,
    sessions,
    store,
    activity,
    slots,
    events,
    states: new StateWriter(mirror, logger),
    logger,
    hostEnv: {},
    sandbox: { kind: 'off' },
    broker: new CredentialBroker(config.provider, logger),
  });
  seen = [];
  const watch = (sessionId: string) => bus.subscribe(sessionId, (event) => seen.push({ event, active: service.isActive(sessionId) }));
  watch('s1');
  watch('s2');
});

afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

const request = (sessionId: string) => parseInvocation({ prompt: 'write a file', session_id: sessionId }, config.limits);
const completions = () => seen.filter((s) => s.event.type === 'invocation.completed');

describe('InvocationService', () => {
  it('gives everything back when recording the start fails: no session active, no slot held, nothing running', async () => {
    db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON invocations BEGIN SELECT RAISE(ABORT, 'disk is full'); END`);
    await expect(service.start(request('s1'), { baseUrl: '' })).rejects.toThrow('disk is full');
    await new Promise((resolve) => setImmediate(resolve));
    expect(service.isActive('s1')).toBe(false);
    expect(service.activeRuns).toBe(0);
    expect(activity.running).toBe(0);
    expect(slots.active).toBe(0);
    expect(seen).toEqual([]);
  });

  it('ends a run cancelled while queued as `cancelled`, idle by the time its last event is out', async () => {
    const hold = await slots.acquire(undefined, Infinity); // The only slot: the run must queue.
    const started = await service.start(request('s1'), { baseUrl: '' });
    expect(service.isActive('s1')).toBe(true);
    expect(service.cancel('s1', undefined)).toEqual({ invocationId: started.invocationId });
    const output = await started.done;

    expect(output.output.success).toBe(false);
    expect(output.output.errors).toContain('Cancelled before it started; nothing ran.');
    expect(sessions.getInvocation(started.invocationId)?.status).toBe('cancelled');
    expect(seen.map((s) => s.event.type)).toEqual(['invocation.queued', 'invocation.completed']);
    // It had to wait: its first event says so (a run that starts at once has no `waiting`).
    expect(seen[0]?.event.data).toEqual({ prompt: expect.any(String), waiting: 'service_busy' });
    expect(completions()).toEqual([expect.objectContaining({ active: false })]);
    expect(completions()[0]?.event.data).toMatchObject({ status: 'cancelled' });
    await service.mirrorsSettled();
    expect(mirror.puts.map((p) => p.status)).toEqual(['queued', 'cancelled']);
    expect(slots.queued).toBe(0);
    expect(activity.running).toBe(0);
    hold();
  });

  it('records a run that fails inside the service as `failed`, emits its last event, and gives its slot back', async () => {
    // A previous run swapped the workspace for a link: preparing the run refuses to go through it.
    await mkdir(sessionDirs(dir, 's1').root, { recursive: true });
    await symlink('/', sessionDirs(dir, 's1').workspace);
    const started = await service.start(request('s1'), { baseUrl: '' });
    await expect(started.done).rejects.toThrow(/not a plain directory/);

    const row = sessions.getInvocation(started.invocationId);
    expect(row?.status).toBe('failed');
    expect(JSON.parse(row?.output_json ?? 'null')).toEqual({ error: expect.stringMatching(/not a plain directory/) });
    expect(completions()).toEqual([expect.objectContaining({ active: false })]);
    expect(completions()[0]?.event.data).toEqual({ status: 'failed', output: null });
    await service.mirrorsSettled();
    expect(mirror.puts.map((p) => p.status)).toEqual(['queued', 'failed']);
    expect(slots.active).toBe(0);
    expect(service.activeRuns).toBe(0);
  });

  it('still emits the last event of a failed run when the database refuses to record it', async () => {
    await mkdir(sessionDirs(dir, 's2').root, { recursive: true });
    await symlink('/', sessionDirs(dir, 's2').workspace);
    db.exec(
      `CREATE TRIGGER refuse BEFORE UPDATE ON invocations WHEN NEW.status = 'failed' BEGIN SELECT RAISE(ABORT, 'database is locked'); END`,
    );
    const started = await service.start(request('s2'), { baseUrl: '' });
    await expect(started.done).rejects.toThrow(/not a plain directory/);

    // Left unfinished for the next start to recover; event streams are not left waiting.
    expect(sessions.getInvocation(started.invocationId)?.status).toBe('queued');
    expect(completions()).toEqual([expect.objectContaining({ active: false })]);
    expect(completions()[0]?.event.data).toEqual({ status: 'failed', output: null });
    expect(slots.active).toBe(0);
  });

  it('refuses to cancel or answer in a session that is not the caller, or has nothing running', async () => {
    const keys = new KeyRepo(db);
    const [a, b] = [keys.create('a').record.id, keys.create('b').record.id];
    sessions.startInvocation({ sessionId: 's1', invocationId: 'old', startedAt: new Date(), prompt: 'p', request: {}, ownerKeyId: a });
    const refusal = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return toErrorResponse(err);
      }
      throw new Error('expected a refusal');
    };
    const notFound = {
      status: 404,
      headers: {},
      body: { message: 'Session s1 was not found; omit session_id to start a new session.', code: 'not_found' },
    };
    expect(refusal(() => service.cancel('s1', b))).toEqual(notFound);
    expect(refusal(() => service.answerPermission('s1', b, 'r1', 'allow'))).toEqual(notFound);
    expect(refusal(() => service.cancel('nope', undefined)).status).toBe(404);
    expect(refusal(() => service.cancel('s1', a))).toEqual({
      status: 409,
      headers: {},
      body: { message: 'Nothing is running in session s1.', code: 'conflict' },
    });
    expect(refusal(() => service.answerPermission('s1', a, 'r1', 'deny'))).toEqual({
      status: 404,
      headers: {},
      body: { message: 'No pending permission request r1 in session s1.', code: 'not_found' },
    });
  });

  it('refuses new invocations once it stops accepting', async () => {
    service.stopAccepting();
    await expect(service.start(request('s1'), { baseUrl: '' })).rejects.toMatchObject({
      code: 'unavailable',
      details: { code: 'shutting_down' },
    });
    expect(sessions.getSession('s1')).toBeUndefined();
  });
});
