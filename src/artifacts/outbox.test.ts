import { createHash } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startS3Server, type TestS3Server } from '../../test/support/s3-server.js';
import { openDatabase, type Db } from '../store/index.js';
import { openWorkspaceFile, takeSnapshot, type FileEntry } from '../workspace/index.js';
import { objectKey } from './keys.js';
import { UploadOutbox, type OutboxEntry } from './outbox.js';
import { S3ArtifactStore } from './s3-store.js';
import { uploadFiles } from './upload.js';

const prefix = 'outputs/20240309_070504_0a1b2c3d';
const ids = { session_id: 's-1', invocation_id: '0a1b2c3d-0000-4000-8000-000000000000' };
const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

let s3: TestS3Server;
let client: S3Client;
let store: S3ArtifactStore;
beforeAll(async () => {
  s3 = await startS3Server();
  // One attempt: an outage fails at once instead of waiting through retries with backoff.
  client = s3.client({ maxAttempts: 1 });
  store = new S3ArtifactStore({ client, bucket: s3.bucket, prefix: 'cca', expiresInSeconds: 600, region: 'us-east-1' });
});
afterAll(async () => {
  client.destroy();
  await s3.close();
});

let dir: string;
let workspace: string;
let db: Db;
let clock: number;
let outbox: UploadOutbox;
let logs: { msg: string; file_name?: string; reason?: string }[];
beforeEach(async () => {
  logs = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as (typeof logs)[number]) });
  dir = await mkdtemp(join(tmpdir(), 'cca-outbox-'));
  workspace = join(dir, 'ws');
  await mkdir(workspace);
  db = openDatabase(join(dir, 'data'));
  clock = T0;
  outbox = new UploadOutbox(db, store, { now: () => new Date(clock), baseDelayMs: 1000, maxDelayMs: 5000, logger });
});
afterEach(async () => {
  await outbox.stop();
  db.close();
  await rm(dir, { recursive: true, force: true });
});

async function writeWs(rel: string, data: string): Promise<void> {
  await mkdir(dirname(join(workspace, rel)), { recursive: true });
  await writeFile(join(workspace, rel), data);
}

/** What the service has after a run: the changed files as the snapshot saw them. */
async function snapshot(): Promise<Map<string, FileEntry>> {
  return (await takeSnapshot(workspace)).entries;
}

const entryFor = (file: FileEntry, error?: string): OutboxEntry => ({
  ...ids,
  file_name: file.path,
  object_key: objectKey(prefix, file.path),
  workspace,
  size: file.size,
  dev: file.dev,
  ino: file.ino,
  error,
});

async function stored(rel: string): Promise<string | undefined> {
  try {
    const res = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: `cca/${prefix}/${rel}` }));
    return await res.Body?.transformToString();
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('uploadFiles through the S3 store', () => {
  it('stores every file with its digest and presigned links', async () => {
    await writeWs('app/main.py', 'print("hi")\n');
    await writeWs('empty.txt', '');
    const entries = await snapshot();
    const files = [...entries.values()].sort((a, b) => a.path.localeCompare(b.path));
    const { uploaded, failed } = await uploadFiles(store, files, (rel) => openWorkspaceFile(workspace, entries.get(rel) as FileEntry), {
      prefix,
      baseUrl: 'http://ignored',
    });
    expect(failed).toEqual([]);
    expect(uploaded.map((f) => [f.file_name, f.key, f.size, f.sha256])).toEqual([
      ['app/main.py', `${prefix}/app/main.py`, 12, sha256('print("hi")\n')],
      ['empty.txt', `${prefix}/empty.txt`, 0, sha256('')],
    ]);
    expect(uploaded[0]).toMatchObject({ s3_url: `s3://cca-test/cca/${prefix}/app/main.py`, content_type: 'text/x-python; charset=utf-8' });
    expect(await (await fetch(uploaded[0]?.download_url ?? '')).text()).toBe('print("hi")\n');
    expect(await stored('empty.txt')).toBe('');
  });
});

describe('UploadOutbox', () => {
  it('keeps files that failed during an outage and stores them once the server is back; changed files are dropped', async () => {
    await writeWs('keep.txt', 'the run wrote this');
    await writeWs('grown.txt', 'short');
    await writeWs('replaced.txt', 'original');
    await writeWs('deleted.txt', 'soon gone');
    const entries = await snapshot();
    const files = [...entries.values()].sort((a, b) => a.path.localeCompare(b.path));

    await s3.stop();
    try {
      const result = await uploadFiles(store, files, (rel) => openWorkspaceFile(workspace, entries.get(rel) as FileEntry), {
        prefix,
        baseUrl: '',
      });
      expect(result.uploaded).toEqual([]);
      expect(result.failed.map((f) => f.file_name)).toEqual(['deleted.txt', 'grown.txt', 'keep.txt', 'replaced.txt']);
      expect(result.failed[0]?.error).toMatch(/^Could not store s3:\/\/cca-test\/cca\/outputs\/.*\/deleted\.txt: .*ECONNREFUSED/);
      expect(await readFile(join(workspace, 'keep.txt'), 'utf8')).toBe('the run wrote this');

      outbox.add(result.failed.map((f) => entryFor(entries.get(f.file_name) as FileEntry, f.error)));
      expect(outbox.pendingFor(ids.invocation_id).map((r) => r.file_name)).toEqual([
        'deleted.txt',
        'grown.txt',
        'keep.txt',
        'replaced.txt',
      ]);
      expect(outbox.due()).toEqual([]);
      clock += 1000;
      expect(outbox.due()).toHaveLength(4);

      // Still down: the pass stops at the first failure and backs that row off.
      expect(await outbox.retryDue()).toEqual({ uploaded: [], failed: 1, dropped: 0 });
      const [first] = outbox.pendingFor(ids.invocation_id);
      expect(first).toMatchObject({ file_name: 'deleted.txt', attempts: 1, next_attempt_at: new Date(clock + 2000).toISOString() });
      expect(first?.last_error).toMatch(/ECONNREFUSED/);
    } finally {
      await s3.restart();
    }

    // Meanwhile the workspace moved on.
    await appendFile(join(workspace, 'grown.txt'), ' and longer');
    await writeWs('replaced.tmp', 'new content');
    await rename(join(workspace, 'replaced.tmp'), join(workspace, 'replaced.txt'));
    await unlink(join(workspace, 'deleted.txt'));

    clock += 2000;
    const retried = await outbox.retryDue();
    expect(retried).toMatchObject({ failed: 0, dropped: 3 });
    expect(retried.uploaded).toHaveLength(1);
    expect(retried.uploaded[0]).toMatchObject({
      ...ids,
      file_name: 'keep.txt',
      key: `${prefix}/keep.txt`,
      size: 18,
      sha256: sha256('the run wrote this'),
    });
    expect(outbox.pendingFor(ids.invocation_id)).toEqual([]);
    expect(await stored('keep.txt')).toBe('the run wrote this');
    for (const rel of ['grown.txt', 'replaced.txt', 'deleted.txt']) expect(await stored(rel), rel).toBeUndefined();
    const reasons = Object.fromEntries(logs.filter((l) => l.reason !== undefined).map((l) => [l.file_name, l.reason]));
    expect(reasons).toEqual({
      'deleted.txt': expect.stringMatching(/no longer a regular file at that path \(ENOENT\)/),
      'grown.txt': 'its size changed from 5 to 16 bytes',
      'replaced.txt': expect.stringMatching(/replaced after the snapshot/),
    });
  });

  it('backs off exponentially up to maxDelayMs while the store stays down', async () => {
    await writeWs('a.txt', 'a');
    const entry = (await snapshot()).get('a.txt') as FileEntry;
    outbox.add([entryFor(entry)]);
    await s3.stop();
    try {
      const waits: number[] = [];
      for (let i = 0; i < 4; i++) {
        clock = Date.parse(outbox.pendingFor(ids.invocation_id)[0]?.next_attempt_at ?? '');
        expect(await outbox.retryDue()).toMatchObject({ failed: 1 });
        waits.push(Date.parse(outbox.pendingFor(ids.invocation_id)[0]?.next_attempt_at ?? '') - clock);
      }
      expect(waits).toEqual([2000, 4000, 5000, 5000]);
      expect(outbox.pendingFor(ids.invocation_id)[0]?.attempts).toBe(4);
    } finally {
      await s3.restart();
    }
  });

  it('replaces an entry added twice for the same file of an invocation', async () => {
    await writeWs('a.txt', 'a');
    const entry = (await snapshot()).get('a.txt') as FileEntry;
    outbox.add([entryFor(entry, 'first')]);
    outbox.add([entryFor(entry, 'second')]);
    expect(outbox.pendingFor(ids.invocation_id)).toMatchObject([{ file_name: 'a.txt', last_error: 'second', dev: String(entry.dev) }]);
  });

  it('joins a pass in progress instead of starting a second one', async () => {
    await writeWs('a.txt', 'a');
    outbox.add([entryFor((await snapshot()).get('a.txt') as FileEntry)]);
    clock += 1000;
    const [one, two] = [outbox.retryDue(), outbox.retryDue()];
    expect(one).toBe(two);
    expect((await one).uploaded).toHaveLength(1);
    expect(await stored('a.txt')).toBe('a');
  });

  it('retries in the background once started, and reports what it stored', async () => {
    await writeWs('bg.txt', 'background');
    outbox.add([entryFor((await snapshot()).get('bg.txt') as FileEntry)]);
    clock += 1000;
    const reported: string[] = [];
    outbox.start(20, undefined, (file) => reported.push(file.key));
    await expect.poll(() => reported, { timeout: 5000 }).toEqual([`${prefix}/bg.txt`]);
    await outbox.stop();
    expect(outbox.pendingFor(ids.invocation_id)).toEqual([]);
    expect(await stored('bg.txt')).toBe('background');

    // Stopped (even after a restart of the timer): nothing is retried any more.
    outbox.start(20);
    await outbox.stop();
    await writeWs('later.txt', 'later');
    outbox.add([entryFor((await snapshot()).get('later.txt') as FileEntry)]);
    clock += 1000;
    await new Promise((r) => setTimeout(r, 150));
    expect(outbox.pendingFor(ids.invocation_id).map((r) => r.file_name)).toEqual(['later.txt']);
  });
});
