import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { SkippedFile, UploadedFile } from '../schemas/responses.js';
import { migrate, openDatabase, type Db } from '../store/index.js';
import { MIGRATIONS } from '../store/migrations.js';
import { SessionRepo } from './repo.js';
import { toSessionDetail } from './view.js';

const dirs: string[] = [];
const open: Db[] = [];

async function freshDb(): Promise<Db> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-files-'));
  dirs.push(dir);
  const db = openDatabase(dir);
  open.push(db);
  return db;
}

afterEach(async () => {
  for (const db of open.splice(0)) if (db.open) db.close();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const file = (i: number): UploadedFile => ({
  file_name: `f${String(i).padStart(5, '0')}.txt`,
  key: `outputs/20240309_070504_0a1b2c3d/f${String(i).padStart(5, '0')}.txt`,
  size: 1,
  sha256: 'x',
  content_type: 'text/plain',
  s3_url: 's3://b/k',
  console_url: 'c',
  download_url: 'd',
  expires_at: '2024-03-09T08:05:04.000Z',
});
const skip = (i: number): SkippedFile => ({ path: `s${i}`, file_name: `s${i}`, reason: 'too_many_files', detail: 'limit' });

function started(repo: SessionRepo, sessionId: string, invocationId: string): void {
  repo.startInvocation({ sessionId, invocationId, startedAt: new Date('2024-03-09T07:05:04Z'), prompt: 'p', request: {} });
}

describe('FileLists', () => {
  it('keeps every entry of a big list and pages through it by cursor, per invocation or per session', async () => {
    const repo = new SessionRepo(await freshDb());
    started(repo, 's1', 'i1');
    started(repo, 's1', 'i2');
    const uploaded = Array.from({ length: 4500 }, (_, i) => file(i));
    await repo.files.record('s1', 'i1', { uploaded, skipped: [skip(1), skip(2)], failed: [] });
    await repo.files.record('s1', 'i2', { uploaded: [file(9999)], skipped: [], failed: [{ file_name: 'x', error: 'down', key: 'k/x' }] });

    expect(repo.files.counts('i1')).toEqual({ uploaded: 4500, skipped: 2, failed: 0 });
    const seen: string[] = [];
    let after = 0;
    for (;;) {
      const page = repo.files.page({ invocationId: 'i1' }, 'uploaded', 1000, after);
      if (page.length === 0) break;
      seen.push(...page.map((r) => r.entry.file_name));
      after = (page.at(-1) as { id: number }).id;
    }
    expect(seen).toEqual(uploaded.map((f) => f.file_name));
    // The session's list runs across its invocations, oldest first.
    const session = repo.files.page({ sessionId: 's1' }, 'uploaded', 10_000);
    expect(session.map((r) => r.invocation_id).filter((id, i, all) => all.indexOf(id) === i)).toEqual(['i1', 'i2']);
    expect(session).toHaveLength(4501);
  });

  it('replaces the lists of an invocation recorded twice (a recovery that stores again)', async () => {
    const repo = new SessionRepo(await freshDb());
    started(repo, 's1', 'i1');
    await repo.files.record('s1', 'i1', { uploaded: [file(1), file(2)], skipped: [], failed: [] });
    await repo.files.record('s1', 'i1', { uploaded: [file(3)], skipped: [], failed: [] });
    expect(repo.files.page({ invocationId: 'i1' }, 'uploaded', 10).map((r) => r.entry.file_name)).toEqual(['f00003.txt']);
  });

  it('moves a late upload from the failed list to the stored one, in the rows and in the capped output', async () => {
    const repo = new SessionRepo(await freshDb());
    started(repo, 's1', 'i1');
    const late = file(7);
    const failed = [{ file_name: late.file_name, error: 'down', key: late.key }];
    await repo.files.record('s1', 'i1', { uploaded: [file(1)], skipped: [], failed });
    const output = {
      output: {
        metadata: {
          uploaded_files: [file(1)],
          failed_uploads: failed,
          skipped_files: [],
          uploaded_files_total: 1,
          failed_uploads_total: 1,
        },
      },
    };
    repo.finishInvocation({
      sessionId: 's1',
      invocationId: 'i1',
      status: 'succeeded',
      endedAt: new Date(),
      output,
      costUsd: 0,
      claudeSessionId: undefined,
    });
    repo.recordLateUpload('i1', late);
    expect(repo.files.counts('i1')).toEqual({ uploaded: 2, skipped: 0, failed: 0 });
    const meta = JSON.parse(repo.getInvocation('i1')?.output_json as string).output.metadata;
    expect(meta).toMatchObject({ uploaded_files_total: 2, failed_uploads_total: 0, failed_uploads: [] });
    expect(meta.uploaded_files.map((f: UploadedFile) => f.file_name)).toEqual(['f00001.txt', 'f00007.txt']);
  });
});

describe('the invocation_files migration', () => {
  it('moves the lists of existing outputs into rows, keeps the first 1000 in the output with totals, and the session stays readable', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cca-files-mig-'));
    dirs.push(dir);
    const db = new Database(path.join(dir, 'cca.db'));
    open.push(db);
    // The schema as the previous build left it.
    for (const sql of MIGRATIONS.slice(0, 4)) db.exec(sql);
    db.pragma('user_version = 4');
    db.prepare(`INSERT INTO sessions (id, created_at, updated_at) VALUES ('s1', '2024-01-01', '2024-01-01')`).run();
    const big = {
      output: {
        success: true,
        result: 'ok',
        metadata: {
          uploaded_files: Array.from({ length: 1500 }, (_, i) => file(i)),
          // Entries written before `file_name` existed.
          skipped_files: [{ path: 'link', reason: 'symlink', detail: 'a link' }],
          failed_uploads: [],
        },
      },
    };
    const small = {
      output: { success: true, result: 'ok', metadata: { uploaded_files: [file(1)], skipped_files: [], failed_uploads: [] } },
    };
    const insert = db.prepare(
      `INSERT INTO invocations (id, session_id, started_at, ended_at, status, prompt, request_json, output_json) VALUES (?, 's1', ?, ?, 'succeeded', 'p', '{}', ?)`,
    );
    insert.run('big', '2024-01-01T00:00:01Z', '2024-01-01T00:00:02Z', JSON.stringify(big));
    insert.run('small', '2024-01-01T00:00:03Z', '2024-01-01T00:00:04Z', JSON.stringify(small));
    insert.run('broken', '2024-01-01T00:00:05Z', '2024-01-01T00:00:06Z', JSON.stringify({ error: 'a fault' }));

    migrate(db);

    const repo = new SessionRepo(db);
    expect(repo.files.counts('big')).toEqual({ uploaded: 1500, skipped: 1, failed: 0 });
    expect(repo.files.counts('small')).toEqual({ uploaded: 1, skipped: 0, failed: 0 });
    expect(repo.files.counts('broken')).toEqual({ uploaded: 0, skipped: 0, failed: 0 });
    const meta = JSON.parse(repo.getInvocation('big')?.output_json as string).output.metadata;
    expect(meta.uploaded_files).toHaveLength(1000);
    expect(meta.uploaded_files[999]).toEqual(file(999));
    expect(meta).toMatchObject({ uploaded_files_total: 1500, skipped_files_total: 1, failed_uploads_total: 0, files_truncated: true });
    // Outputs under the cap are left exactly as they were.
    expect(JSON.parse(repo.getInvocation('small')?.output_json as string)).toEqual(small);
    expect(repo.files.page({ invocationId: 'big' }, 'uploaded', 2000).map((r) => r.entry)).toEqual(big.output.metadata.uploaded_files);

    const detail = toSessionDetail(repo.getSessionListRow('s1')!, repo.listInvocations('s1'), (id) => ({
      files: repo.files.page({ invocationId: id }, 'uploaded', 5).map((r) => r.entry),
      skipped: repo.files.page({ invocationId: id }, 'skipped', 5).map((r) => r.entry),
      counts: () => repo.files.counts(id),
    }));
    expect(detail.invocations.map((i) => [i.invocation_id, i.files.length, i.files_total, i.files_truncated])).toEqual([
      ['big', 5, 1500, true],
      ['small', 1, 1, false],
      ['broken', 0, 0, false],
    ]);
    expect(detail.invocations[0]?.skipped_files).toEqual([{ path: 'link', file_name: 'link', reason: 'symlink', detail: 'a link' }]);
  });
});
