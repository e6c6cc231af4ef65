/**
 * Uploads that failed (the store was down, a network error outlasted the SDK's retries) wait in
 * the `upload_outbox` table and are retried with exponential backoff, in the background and at
 * start-up, from the file still in the session workspace.
 */
import type { FileHandle } from 'node:fs/promises';
import { silentLogger, type Logger } from '../logging/index.js';
import type { Db } from '../store/index.js';
import { openWorkspaceFile, WorkspaceFileChangedError, type FileEntry } from '../workspace/index.js';
import { decodeKeyPath } from './keys.js';
import type { ArtifactStore } from './store.js';
import { uploadFiles, type UploadedFile } from './upload.js';

/** A file to retry: where it is, the key it must be stored under, and the identity the snapshot saw. */
export interface OutboxEntry {
  session_id: string;
  invocation_id: string;
  /** Path relative to the workspace, in its storage key's form (`encodeKeyPath`: text SQLite can keep, bytes that are not UTF-8 as %XX). */
  file_name: string;
  /** The store key, `<output prefix>/<file_name>`. */
  object_key: string;
  /** Absolute path of the session workspace. */
  workspace: string;
  size: number;
  dev: bigint;
  ino: bigint;
  /** Why the first attempt failed. */
  error?: string | undefined;
}

/** A row of `upload_outbox` (dev and ino as decimal text: they do not fit a double). */
export interface OutboxRow {
  id: number;
  session_id: string;
  invocation_id: string;
  file_name: string;
  object_key: string;
  workspace: string;
  size: number;
  dev: string;
  ino: string;
  attempts: number;
  last_error: string | null;
  created_at: string;
  next_attempt_at: string;
}

/** Opens a workspace file only if it is still the snapshotted one (default: `openWorkspaceFile`). */
export type OpenWorkspaceFile = (workspace: string, entry: FileEntry) => Promise<FileHandle>;

/** A file stored by a retry, with the ids of its invocation. */
export type RetriedUpload = UploadedFile & { session_id: string; invocation_id: string };

/** What one pass did: stored, failed again (kept, backed off), dropped (changed or gone). */
export interface RetryResult {
  uploaded: RetriedUpload[];
  failed: number;
  dropped: number;
}

/** Options of the outbox; delays in milliseconds, `baseUrl` for the links of retried files. */
export interface UploadOutboxOptions {
  now?: () => Date;
  /** Wait before the first retry; doubled after each failed one. Default 5 s. */
  baseDelayMs?: number;
  /** Longest wait between retries. Default 10 min. */
  maxDelayMs?: number;
  /** Rows taken per pass. Default 100. */
  batchSize?: number;
  baseUrl?: string;
  logger?: Logger;
  /** Told about each file a retry stored (to update its invocation's record and events). */
  onStored?: (file: RetriedUpload) => void;
}

// Codes meaning the workspace itself (or a parent of the file) is gone.
const GONE = new Set(['ENOENT', 'ENOTDIR']);

/**
 * The outbox of failed uploads: `add` after `uploadFiles` reports failures, `start` to retry them.
 * @example
 * const outbox = new UploadOutbox(db, store, { baseUrl: config.publicUrl });
 * outbox.start(30_000, openWorkspaceFile, (file) => log.info({ key: file.key }, 'stored on retry'));
 */
export class UploadOutbox {
  readonly #db: Db;
  readonly #store: ArtifactStore;
  readonly #now: () => Date;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #batchSize: number;
  readonly #baseUrl: string;
  readonly #log: Logger;
  readonly #onStored: ((file: RetriedUpload) => void) | undefined;
  #inflight: Promise<RetryResult> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #generation = 0;

  constructor(db: Db, store: ArtifactStore, opts: UploadOutboxOptions = {}) {
    this.#db = db;
    this.#store = store;
    this.#now = opts.now ?? (() => new Date());
    this.#baseDelayMs = opts.baseDelayMs ?? 5000;
    this.#maxDelayMs = opts.maxDelayMs ?? 600_000;
    this.#batchSize = opts.batchSize ?? 100;
    this.#baseUrl = opts.baseUrl ?? '';
    this.#log = opts.logger ?? silentLogger();
    this.#onStored = opts.onStored;
  }

  /** Records failed uploads, first retry after `baseDelayMs`; an entry already there is replaced (attempts kept). */
  add(entries: OutboxEntry[]): void {
    const now = this.#now();
    const insert = this.#db.prepare(
      `INSERT INTO upload_outbox (session_id, invocation_id, file_name, object_key, workspace, size, dev, ino, last_error, created_at, next_attempt_at)
       VALUES (@session_id, @invocation_id, @file_name, @object_key, @workspace, @size, @dev, @ino, @last_error, @created_at, @next_attempt_at)
       ON CONFLICT (invocation_id, file_name) DO UPDATE SET object_key = excluded.object_key, workspace = excluded.workspace,
         size = excluded.size, dev = excluded.dev, ino = excluded.ino, last_error = excluded.last_error, next_attempt_at = excluded.next_attempt_at`,
    );
    this.#db.transaction(() => {
      for (const e of entries) {
        insert.run({
          session_id: e.session_id,
          invocation_id: e.invocation_id,
          file_name: e.file_name,
          object_key: e.object_key,
          workspace: e.workspace,
          size: e.size,
          dev: e.dev.toString(),
          ino: e.ino.toString(),
          last_error: e.error ?? null,
          created_at: now.toISOString(),
          next_attempt_at: new Date(now.getTime() + this.#baseDelayMs).toISOString(),
        });
      }
    })();
  }

  /** Rows whose next attempt is due at `now`, oldest first, at most `batchSize`. */
  due(now: Date = this.#now()): OutboxRow[] {
    return this.#db
      .prepare('SELECT * FROM upload_outbox WHERE next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?')
      .all(now.toISOString(), this.#batchSize) as OutboxRow[];
  }

  /** Files of an invocation still waiting to be stored. */
  pendingFor(invocationId: string): OutboxRow[] {
    return this.#db.prepare('SELECT * FROM upload_outbox WHERE invocation_id = ? ORDER BY id').all(invocationId) as OutboxRow[];
  }

  /** Retries due rows in order until one fails; a pass already running is joined rather than doubled. */
  retryDue(open: OpenWorkspaceFile = openWorkspaceFile): Promise<RetryResult> {
    this.#inflight ??= this.#pass(open).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /** Retries due rows now and then every `intervalMs` (one pass at a time; the timer never keeps the process alive). */
  start(intervalMs: number, open: OpenWorkspaceFile = openWorkspaceFile, onUploaded?: (file: RetriedUpload) => void): void {
    this.#stopTimer();
    // A pass of an earlier start() that ends after this one began must not schedule its own chain.
    const generation = ++this.#generation;
    const tick = (delay: number) => {
      this.#timer = setTimeout(() => {
        this.retryDue(open)
          .then((result) => result.uploaded.forEach((file) => onUploaded?.(file)))
          .catch((err: unknown) => this.#log.error({ err }, 'upload outbox: retry pass failed'))
          .finally(() => {
            if (generation === this.#generation) tick(intervalMs);
          });
      }, delay);
      this.#timer.unref();
    };
    tick(0);
  }

  /** Stops the timer and waits for a pass in progress (call before closing the database). */
  async stop(): Promise<void> {
    this.#stopTimer();
    await this.#inflight?.catch(() => undefined);
  }

  #stopTimer(): void {
    this.#generation++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #pass(open: OpenWorkspaceFile): Promise<RetryResult> {
    const result: RetryResult = { uploaded: [], failed: 0, dropped: 0 };
    for (const row of this.due()) {
      const outcome = await this.#retry(row, open);
      if (outcome.kind === 'uploaded') {
        this.#db.prepare('DELETE FROM upload_outbox WHERE id = ?').run(row.id);
        const stored = { ...outcome.file, session_id: row.session_id, invocation_id: row.invocation_id };
        result.uploaded.push(stored);
        try {
          this.#onStored?.(stored);
        } catch (err) {
          this.#log.error({ err, key: row.object_key }, 'upload outbox: could not record a stored file');
        }
        this.#log.info({ session_id: row.session_id, invocation_id: row.invocation_id, key: row.object_key }, 'upload outbox: stored');
      } else if (outcome.kind === 'dropped') {
        this.#db.prepare('DELETE FROM upload_outbox WHERE id = ?').run(row.id);
        result.dropped++;
        this.#log.warn(
          { session_id: row.session_id, invocation_id: row.invocation_id, file_name: row.file_name, reason: outcome.reason },
          'upload outbox: dropped a file that is no longer the one the run produced',
        );
      } else {
        this.#backOff(row, outcome.error);
        result.failed++;
        // The store is most likely still down: the other rows stay due for the next pass rather
        // than each waiting through the SDK's retries now.
        break;
      }
    }
    return result;
  }

  async #retry(
    row: OutboxRow,
    open: OpenWorkspaceFile,
  ): Promise<{ kind: 'uploaded'; file: UploadedFile } | { kind: 'dropped'; reason: string } | { kind: 'failed'; error: string }> {
    const suffix = `/${row.file_name}`;
    if (!row.object_key.endsWith(suffix)) return { kind: 'dropped', reason: `key ${row.object_key} does not end with the file name` };
    // Rows written before names were encoded hold the plain path, which has no "%XX" to decode.
    const relPath = decodeKeyPath(row.file_name) ?? row.file_name;
    let handle: FileHandle;
    try {
      handle = await open(row.workspace, fileEntryOf(row, relPath));
    } catch (err) {
      if (err instanceof WorkspaceFileChangedError) return { kind: 'dropped', reason: err.message };
      if (GONE.has((err as NodeJS.ErrnoException).code ?? '')) return { kind: 'dropped', reason: `the workspace is gone (${String(err)})` };
      return { kind: 'failed', error: String(err) };
    }
    let size: number;
    try {
      ({ size } = await handle.stat());
    } catch (err) {
      await handle.close().catch(() => {});
      return { kind: 'failed', error: String(err) };
    }
    // Same inode but another size: rewritten in place, so not the bytes the run produced.
    if (size !== row.size) {
      await handle.close().catch(() => {});
      return { kind: 'dropped', reason: `its size changed from ${row.size} to ${size} bytes` };
    }
    // uploadFiles verifies the byte count and hashes on the way, and closes the handle.
    const { uploaded, failed } = await uploadFiles(this.#store, [{ path: relPath, size }], async () => handle, {
      prefix: row.object_key.slice(0, -suffix.length),
      baseUrl: this.#baseUrl,
      concurrency: 1,
    });
    const file = uploaded[0];
    if (file !== undefined) return { kind: 'uploaded', file };
    return { kind: 'failed', error: failed[0]?.error ?? 'unknown error' };
  }

  #backOff(row: OutboxRow, error: string): void {
    const attempts = row.attempts + 1;
    const delay = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** attempts);
    const next = new Date(this.#now().getTime() + delay).toISOString();
    this.#db
      .prepare('UPDATE upload_outbox SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ?')
      .run(attempts, error, next, row.id);
    this.#log.warn({ key: row.object_key, attempts, error, next_attempt_at: next }, 'upload outbox: retry failed, backing off');
  }
}

/** The snapshot identity `openWorkspaceFile` checks (path, dev, ino); the rest is not compared. */
function fileEntryOf(row: OutboxRow, relPath: string): FileEntry {
  return {
    path: relPath,
    kind: 'file',
    size: row.size,
    mtimeNs: 0n,
    ctimeNs: 0n,
    ino: BigInt(row.ino),
    dev: BigInt(row.dev),
    nlink: 1,
  };
}
