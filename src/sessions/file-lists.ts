/**
 * The file lists of each invocation (stored, skipped, failed), one row per entry in
 * `invocation_files`: the output keeps only the first entries of each, so reading a session never
 * parses a list of 100,000 files, and the rest are read a page at a time through an index.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { FailedUpload, SkippedFile, UploadedFile } from '../schemas/responses.js';
import type { Db } from '../store/index.js';

/** Which list of an invocation an entry is in. */
export type FileListKind = 'uploaded' | 'skipped' | 'failed';

/** The entry types of each list. */
export interface FileListEntries {
  uploaded: UploadedFile;
  skipped: SkippedFile;
  failed: FailedUpload;
}

/** One entry read back, with what a page needs: its row id (the cursor) and its invocation. */
export interface FileListRow<K extends FileListKind = FileListKind> {
  id: number;
  invocation_id: string;
  entry: FileListEntries[K];
}

/** Entries per count, by list. */
export type FileCounts = Record<FileListKind, number>;

// Rows per transaction: big enough to be quick, small enough that the event loop (and every
// other key's requests) never waits long on one.
const CHUNK = 2000;

/** Typed access to `invocation_files`. */
export class FileLists {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      clear: db.prepare<[string]>('DELETE FROM invocation_files WHERE invocation_id = ?'),
      insert: db.prepare<[string, string, string, string, string | null, string]>(
        'INSERT INTO invocation_files (session_id, invocation_id, kind, file_name, key, data) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      pageOfInvocation: db.prepare<[string, string, number, number], RawRow>(
        `SELECT id, invocation_id, data FROM invocation_files
          WHERE invocation_id = ? AND kind = ? AND id > ? ORDER BY id LIMIT ?`,
      ),
      pageOfSession: db.prepare<[string, string, number, number], RawRow>(
        `SELECT id, invocation_id, data FROM invocation_files
          WHERE session_id = ? AND kind = ? AND id > ? ORDER BY id LIMIT ?`,
      ),
      counts: db.prepare<[string], { kind: FileListKind; n: number }>(
        'SELECT kind, count(*) AS n FROM invocation_files WHERE invocation_id = ? GROUP BY kind',
      ),
      failedByKey: db.prepare<[string, string], { id: number }>(
        `SELECT id FROM invocation_files WHERE invocation_id = ? AND kind = 'failed' AND key = ? ORDER BY id LIMIT 1`,
      ),
      failedByName: db.prepare<[string, string], { id: number }>(
        `SELECT id FROM invocation_files WHERE invocation_id = ? AND kind = 'failed' AND file_name = ? ORDER BY id LIMIT 1`,
      ),
      toUploaded: db.prepare<[string, string, string, number]>(
        `UPDATE invocation_files SET kind = 'uploaded', file_name = ?, key = ?, data = ? WHERE id = ?`,
      ),
    };
  }

  /**
   * Replaces the lists of an invocation (a recovery may store them twice), a chunk per
   * transaction with the event loop free in between.
   * @example await files.record('s1', 'i1', { uploaded, skipped, failed });
   */
  async record(sessionId: string, invocationId: string, lists: { [K in FileListKind]: FileListEntries[K][] }): Promise<void> {
    const rows: [FileListKind, string, string | null, string][] = [
      ...lists.uploaded.map((f): [FileListKind, string, string | null, string] => ['uploaded', f.file_name, f.key, JSON.stringify(f)]),
      ...lists.skipped.map((f): [FileListKind, string, string | null, string] => ['skipped', f.path, null, JSON.stringify(f)]),
      ...lists.failed.map((f): [FileListKind, string, string | null, string] => ['failed', f.file_name, f.key ?? null, JSON.stringify(f)]),
    ];
    this.stmts.clear.run(invocationId);
    for (let i = 0; i < rows.length; i += CHUNK) {
      if (i > 0) await yieldToLoop();
      this.db.transaction(() => {
        for (const [kind, name, key, data] of rows.slice(i, i + CHUNK)) {
          this.stmts.insert.run(sessionId, invocationId, kind, name, key, data);
        }
      })();
    }
  }

  /** Up to `limit` entries of one list after row `afterId`, oldest first, of one invocation or of the whole session. */
  page<K extends FileListKind>(
    where: { invocationId: string } | { sessionId: string },
    kind: K,
    limit: number,
    afterId = 0,
  ): FileListRow<K>[] {
    const rows =
      'invocationId' in where
        ? this.stmts.pageOfInvocation.all(where.invocationId, kind, afterId, limit)
        : this.stmts.pageOfSession.all(where.sessionId, kind, afterId, limit);
    return rows.map((r) => ({ id: r.id, invocation_id: r.invocation_id, entry: JSON.parse(r.data) as FileListEntries[K] }));
  }

  /** How many entries each list of an invocation holds. */
  counts(invocationId: string): FileCounts {
    const counts: FileCounts = { uploaded: 0, skipped: 0, failed: 0 };
    for (const { kind, n } of this.stmts.counts.all(invocationId)) counts[kind] = n;
    return counts;
  }

  /** A failed upload was stored by a retry: its row moves to the stored list. False if it was not listed as failed. */
  markUploaded(invocationId: string, file: UploadedFile): boolean {
    const row =
      this.stmts.failedByKey.get(invocationId, file.key) ?? this.stmts.failedByName.get(invocationId, file.file_name) ?? undefined;
    if (row === undefined) return false;
    this.stmts.toUploaded.run(file.file_name, file.key, JSON.stringify(file), row.id);
    return true;
  }
}

interface RawRow {
  id: number;
  invocation_id: string;
  data: string;
}
