import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore, UploadOutbox, UrlSigner, type ArtifactStore } from '../artifacts/index.js';
import { loadConfig, type Config } from '../config/index.js';
import { EventBus, EventStore, SessionEvents } from '../events/index.js';
import { silentLogger } from '../logging/index.js';
import { SessionRepo } from '../sessions/index.js';
import type { SessionStateRecord, StateMirror } from '../state/index.js';
import { StateWriter } from './state-writer.js';
import { openDatabase, type Db } from '../store/index.js';
import { ensureWorkspace, runBaseFile, runSnapshotFile, saveSnapshot, takeSnapshot } from '../workspace/index.js';
import { startingPoint } from '../codebase/index.js';
import { recoverInterrupted, type RecoveryDeps } from './recovery.js';

const INV = '0a1b2c3d-0000-4000-8000-000000000001';
const QUEUED = '0a1b2c3d-0000-4000-8000-000000000002';
const STARTED = new Date('2025-03-09T07:05:04.000Z');

let dir: string;
let db: Db;
let config: Config;
let sessions: SessionRepo;
let events: SessionEvents;
let mirrored: SessionStateRecord[];
let artifacts: string;

class RecordingMirror implements StateMirror {
  async put(record: SessionStateRecord): Promise<void> {
    mirrored.push(record);
  }
  async get(): Promise<undefined> {
    return undefined;
  }
}

const refusingStore: ArtifactStore = {
  kind: 'local',
  put: async () => {
    throw new Error('storage is down');
  },
  links: () => ({ s3_url: '', console_url: '', download_url: '', expires_at: '' }),
  delete: async () => {},
};

function deps(store?: ArtifactStore): RecoveryDeps {
  const signer = new UrlSigner(Buffer.from('test-secret'));
  const local = new LocalArtifactStore({ root: artifacts, signer, expiresInSeconds: 600 });
  const chosen = store ?? local;
  return {
    config,
    sessions,
    store: chosen,
    outbox: new UploadOutbox(db, chosen),
    events,
    states: new StateWriter(new RecordingMirror(), silentLogger()),
    logger: silentLogger(),
  };
}

const sessionsRoot = () => path.join(dir, 'sessions');

/** A run that saved its snapshot, started, wrote `files` and then "died" with the process. */
async function diedWhileRunning(sessionId: string, files: Record<string, string>): Promise<string> {
  const workspace = await ensureWorkspace(sessionsRoot(), sessionId);
  await writeFile(path.join(workspace, 'old.txt'), 'was there before\n');
  sessions.startInvocation({ sessionId, invocationId: INV, startedAt: STARTED, prompt: 'p', request: { prompt: 'p', model: 'm-1' } });
  await saveSnapshot(runSnapshotFile(dir, sessionId, INV), await takeSnapshot(workspace));
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(workspace, name), content);
  return workspace;
}

const output = (id: string) => JSON.parse(sessions.getInvocation(id)?.output_json ?? 'null').output;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cca-recovery-'));
  artifacts = path.join(dir, 'artifacts');
  config = loadConfig({ 'data-dir': dir }, { ANTHROPIC_API_KEY: 'sk-x' });
  db = openDatabase(dir);
  sessions = new SessionRepo(db);
  events = new SessionEvents(new EventStore(db), new EventBus());
  mirrored = [];
});
afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('recoverInterrupted', () => {
  it('stores what a running invocation changed, ends it interrupted with its last event, and forgets its snapshot', async () => {
    await diedWhileRunning('s1', { 'made.txt': 'made before the crash\n' });
    const d = deps();

    const recovered = await recoverInterrupted(d);

    expect(recovered).toEqual([{ sessionId: 's1', invocationId: INV, ran: true, stored: 1, failed: 0 }]);
    expect(sessions.getInvocation(INV)).toMatchObject({ status: 'interrupted', ended_at: expect.any(String) });
    const out = output(INV);
    expect(out).toMatchObject({ success: false, stop_reason: 'interrupted', model: 'm-1', invocation_id: INV });
    expect(out.result).toMatch(/service stopped while this invocation was running.*1 file\(s\).*stored/);
    expect(out.errors).toEqual([out.result]);
    expect(out.metadata.storage_prefix).toBe('outputs/20250309_070504_0a1b2c3d');
    expect(out.metadata.uploaded_files.map((f: { file_name: string }) => f.file_name)).toEqual(['made.txt']);
    const key = out.metadata.uploaded_files[0].key;
    expect(await readFile(path.join(artifacts, key), 'utf8')).toBe('made before the crash\n');

    const log = new EventStore(db).listAfter('s1', 0);
    expect(log.map((e) => e.type)).toEqual(['file.stored', 'invocation.completed']);
    expect(log.at(-1)?.data).toMatchObject({ status: 'interrupted', output: { output: { stop_reason: 'interrupted' } } });
    await d.states.settled();
    expect(mirrored).toMatchObject([{ session_id: 's1', invocation_id: INV, status: 'interrupted' }]);
    expect(await readdir(path.join(sessionsRoot(), 's1', 'snapshots'))).toEqual([]);
    expect(await recoverInterrupted(d)).toEqual([]);
  });

  it('ends a queued invocation that never ran interrupted with no files', async () => {
    sessions.startInvocation({ sessionId: 's2', invocationId: QUEUED, startedAt: STARTED, prompt: 'p', request: {}, status: 'queued' });

    expect(await recoverInterrupted(deps())).toMatchObject([{ invocationId: QUEUED, ran: false, stored: 0 }]);

    const out = output(QUEUED);
    expect(out).toMatchObject({ success: false, stop_reason: 'interrupted' });
    expect(out.result).toMatch(/stopped before this invocation started; nothing ran/);
    expect(out.metadata.uploaded_files).toEqual([]);
    expect(new EventStore(db).listAfter('s2', 0).map((e) => e.type)).toEqual(['invocation.completed']);
  });

  it('says so when the snapshot of a running invocation cannot be read, and stores nothing', async () => {
    await diedWhileRunning('s3', { 'made.txt': 'x' });
    await writeFile(runSnapshotFile(dir, 's3', INV), '{"format": 1, "entr');

    await recoverInterrupted(deps());

    const out = output(INV);
    expect(out.result).toMatch(/snapshot .* is unreadable, so which files it changed is unknown/);
    expect(out.metadata.uploaded_files).toEqual([]);
    expect(sessions.getInvocation(INV)?.status).toBe('interrupted');
  });

  it('queues files the store refused in the outbox and says they are retried', async () => {
    const workspace = await diedWhileRunning('s4', { 'a.txt': 'a', 'b.txt': 'bb' });
    const d = deps(refusingStore);

    expect(await recoverInterrupted(d)).toMatchObject([{ stored: 0, failed: 2 }]);

    const out = output(INV);
    expect(out.result).toMatch(/0 file\(s\).*2 more could not be stored yet/);
    expect(out.metadata.failed_uploads.map((f: { file_name: string }) => f.file_name)).toEqual(['a.txt', 'b.txt']);
    expect(d.outbox.pendingFor(INV).map((r) => [r.file_name, r.workspace])).toEqual([
      ['a.txt', workspace],
      ['b.txt', workspace],
    ]);
  });

  it('removes snapshots left by ended invocations, and nothing through a linked directory', async () => {
    const outside = path.join(dir, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, `${INV}.json`), 'not ours');
    await mkdir(path.join(sessionsRoot(), 'linked'), { recursive: true });
    await symlink(outside, path.join(sessionsRoot(), 'linked', 'snapshots'));
    const stale = runSnapshotFile(dir, 's5', QUEUED);
    await saveSnapshot(stale, { entries: new Map(), truncated: false });
    await writeFile(path.join(path.dirname(stale), 'notes.txt'), 'not a snapshot');

    await recoverInterrupted(deps());

    expect(await readdir(path.dirname(stale))).toEqual(['notes.txt']);
    expect(await readdir(outside)).toEqual([`${INV}.json`]);
  });
});

describe('recovery of a repository invocation (its starting commit, not a snapshot)', () => {
  it('stores what the run changed since its starting commit, with its changes', async () => {
    const sessionId = 'repo-session';
    const workspace = await ensureWorkspace(sessionsRoot(), sessionId);
    await writeFile(path.join(workspace, 'kept.txt'), 'kept\n');
    await writeFile(path.join(workspace, 'gone.txt'), 'gone\n');
    const gitDir = path.join(sessionsRoot(), sessionId, 'git');
    const base = await startingPoint({ gitDir, workspace, maxFileBytes: 1 << 20, message: 'start' });
    sessions.startInvocation({ sessionId, invocationId: INV, startedAt: STARTED, prompt: 'p', request: { prompt: 'p' } });
    await mkdir(path.dirname(runBaseFile(dir, sessionId, INV)), { recursive: true });
    await writeFile(runBaseFile(dir, sessionId, INV), base);
    // The run wrote and deleted, then the process died.
    await writeFile(path.join(workspace, 'new.txt'), 'new\n');
    await rm(path.join(workspace, 'gone.txt'));

    const [recovered] = await recoverInterrupted(deps());
    expect(recovered).toMatchObject({ ran: true, stored: 1 });
    const out = output(INV);
    expect(out.metadata.uploaded_files.map((f: { file_name: string }) => f.file_name)).toEqual(['new.txt']);
    expect(out.changes.counts).toEqual({ added: 1, modified: 0, deleted: 1, renamed: 0 });
    expect(out.changes.patch.file_name).toBe('changes.patch');
    await expect(readFile(runBaseFile(dir, sessionId, INV))).rejects.toThrow();
  });
});
