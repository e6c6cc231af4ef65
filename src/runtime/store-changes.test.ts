import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore, UploadOutbox, UrlSigner, type ArtifactStore } from '../artifacts/index.js';
import { outcomeWithoutRun } from '../runner/index.js';
import { openDatabase, type Db } from '../store/index.js';
import { DEFAULT_WORKSPACE_LIMITS, takeSnapshot } from '../workspace/index.js';
import { buildOutput } from './output.js';
import { rankSkipped, storeChanges } from './store-changes.js';

const PREFIX = 'outputs/20250309_070504_0a1b2c3d';
let dir: string;
let workspace: string;
let artifacts: string;
let db: Db;
let store: LocalArtifactStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cca-store-changes-'));
  workspace = path.join(dir, 'ws');
  artifacts = path.join(dir, 'artifacts');
  await mkdir(workspace);
  db = openDatabase(path.join(dir, 'data'));
  store = new LocalArtifactStore({ root: artifacts, signer: new UrlSigner(Buffer.from('s')), expiresInSeconds: 600 });
});
afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

/** Writes a file whose name is raw bytes (a string cannot name every one). */
async function writeBytesName(rel: Buffer, content: string): Promise<void> {
  await writeFile(Buffer.concat([Buffer.from(`${workspace}/`), rel]), content);
}

async function run(over: { store?: ArtifactStore; outbox?: UploadOutbox } = {}) {
  return storeChanges({
    store: over.store ?? store,
    outbox: over.outbox,
    workspace,
    before: { entries: new Map(), truncated: false },
    limits: DEFAULT_WORKSPACE_LIMITS,
    prefix: PREFIX,
    baseUrl: 'http://127.0.0.1:1',
    sessionId: 's1',
    invocationId: '0a1b2c3d-0000-4000-8000-000000000001',
  });
}

describe('storeChanges with hostile names', () => {
  it('stores a backslash, control characters and bytes that are not UTF-8 under reversible keys, and skips names too long for a key', async () => {
    await writeFile(path.join(workspace, 'back\\slash.txt'), 'b');
    await writeFile(path.join(workspace, 'new\nline'), 'n');
    await writeBytesName(Buffer.from([0x62, 0xff, 0x2e, 0x74]), 'x');
    await writeFile(path.join(workspace, '%'.repeat(90)), 'p');
    const stored = await run();
    expect(stored.failed).toEqual([]);
    expect(stored.uploaded.map((f) => [f.file_name, f.key.slice(PREFIX.length + 1)])).toEqual([
      ['back\\slash.txt', 'back%5Cslash.txt'],
      ['b\uFFFD.t', 'b%FF.t'],
      ['new\nline', 'new%0Aline'],
    ]);
    expect(await readFile(path.join(artifacts, PREFIX, 'b%FF.t'), 'utf8')).toBe('x');
    expect(stored.skipped).toEqual([expect.objectContaining({ file_name: '%'.repeat(90), reason: 'name_too_long' })]);
  });

  it('keeps a failed upload of a name that is not UTF-8 in the outbox, and a retry stores those exact bytes', async () => {
    await writeBytesName(Buffer.from([0x61, 0xc0]), 'raw');
    const down: ArtifactStore = {
      kind: 'local',
      put: async () => {
        throw new Error('storage is down');
      },
      links: () => ({ s3_url: '', console_url: '', download_url: '', expires_at: '' }),
      delete: async () => {},
    };
    const outbox = new UploadOutbox(db, store, { baseDelayMs: 0 });
    const stored = await run({ store: down, outbox });
    expect(stored.failed).toEqual([{ file_name: 'a\uFFFD', error: 'storage is down', key: `${PREFIX}/a%C0` }]);
    const retried = await outbox.retryDue();
    expect(retried.uploaded.map((f) => f.key)).toEqual([`${PREFIX}/a%C0`]);
    expect(await readFile(path.join(artifacts, PREFIX, 'a%C0'), 'utf8')).toBe('raw');
  });

  it('reports a walk that fails instead of throwing, so the run keeps its result', async () => {
    await rm(workspace, { recursive: true });
    const stored = await run();
    expect(stored).toMatchObject({ uploaded: [], skipped: [], failed: [] });
    expect(stored.errors?.[0]).toMatch(/could not be walked/);
  });

  it('lists the walk limit first and the run limits last when skipped entries are ranked', () => {
    const s = (p: string, reason: 'symlink' | 'too_many_files' | 'walk_limit') => ({ path: p, file_name: p, reason, detail: '' });
    expect(rankSkipped([s('a', 'too_many_files'), s('z', 'symlink'), s('', 'walk_limit'), s('b', 'symlink')]).map((x) => x.path)).toEqual([
      '',
      'b',
      'z',
      'a',
    ]);
  });

  it('a snapshot sees names that are not UTF-8, and links as links', async () => {
    await writeBytesName(Buffer.from([0xfe]), '1');
    await symlink('/etc/passwd', path.join(workspace, 'link'));
    const snap = await takeSnapshot(workspace);
    expect([...snap.entries.keys()].sort()).toEqual(['link', '\udcfe']);
  });
});

describe('buildOutput', () => {
  it('lists at most listLimit entries of each list, with totals, counts by reason and files_truncated', () => {
    const file = (i: number) => ({
      file_name: `f${i}`,
      key: `${PREFIX}/f${i}`,
      size: 1,
      sha256: 'x',
      content_type: 'text/plain',
      s3_url: '',
      console_url: '',
      download_url: '',
      expires_at: '',
    });
    const skipped = Array.from({ length: 5 }, (_, i) => ({
      path: `s${i}`,
      file_name: `s${i}`,
      reason: 'too_many_files' as const,
      detail: '',
    }));
    const outcome = outcomeWithoutRun('completed', 'ok');
    const args = {
      sessionId: 's',
      invocationId: 'i',
      startedAt: new Date(0),
      endedAt: new Date(1000),
      outcome,
      requestedModel: undefined,
      prefix: PREFIX,
      uploaded: [file(1), file(2), file(3)],
      skipped: [...skipped, { path: 'l', file_name: 'l', reason: 'symlink' as const, detail: '' }],
      failed: [],
    };
    const meta = buildOutput({ ...args, listLimit: 2 }).output.metadata;
    expect(meta.uploaded_files.map((f) => f.file_name)).toEqual(['f1', 'f2']);
    expect(meta.skipped_files).toHaveLength(2);
    expect(meta).toMatchObject({
      uploaded_files_total: 3,
      skipped_files_total: 6,
      failed_uploads_total: 0,
      skipped_files_by_reason: { too_many_files: 5, symlink: 1 },
      files_truncated: true,
    });
    expect(buildOutput({ ...args, listLimit: 10 }).output.metadata.files_truncated).toBe(false);
  });
});
