/**
 * The ledger of stored files (table `stored_objects`, migration 6): every file put in the artifact
 * store, with its size, session and owning API key. Triggers keep the bytes of each key in
 * `storage_usage`, which the storage quota reads; the retention sweep reads the files by age.
 */
import type { Db } from '../store/index.js';
import { skippedEntry, type SkippedFile } from '../workspace/index.js';

/** A stored file as the ledger keeps it. */
export interface StoredObject {
  object_key: string;
  owner_key_id: string | null;
  session_id: string;
  invocation_id: string;
  size: number;
  stored_at: string;
}

/** What a quota let through, what it held back, and how to give back what it reserved. */
export interface QuotaAdmission<F> {
  files: F[];
  skipped: SkippedFile[];
  /** Returns the reservation once the admitted files are stored (and recorded) or failed. */
  release: () => void;
}

/**
 * Records stored files and answers how many bytes a key holds. Bytes admitted but not yet stored
 * are reserved in memory, so runs of one key that store at the same time cannot pass its quota together.
 * @example ledger.record({ sessionId, invocationId, key: file.key, size: file.size });
 */
export class StorageLedger {
  private readonly stmts;
  private readonly reserved = new Map<string, number>();

  /** `onRecord` hears of each file recorded for the first time (the service's metrics count them). */
  constructor(
    private readonly db: Db,
    private readonly opts: { onRecord?: (file: { key: string; size: number }) => void } = {},
  ) {
    this.stmts = {
      // The owner is the session's: every path that stores a file knows the session, not always the key.
      insert: db.prepare<[string, string, string, string, number, string]>(
        `INSERT OR IGNORE INTO stored_objects (object_key, owner_key_id, session_id, invocation_id, size, stored_at)
         VALUES (?, (SELECT owner_key_id FROM sessions WHERE id = ?), ?, ?, ?, ?)`,
      ),
      used: db.prepare<[string], { bytes: number }>('SELECT bytes FROM storage_usage WHERE owner_key_id = ?'),
      expired: db.prepare<[string, number], StoredObject>(
        'SELECT * FROM stored_objects WHERE stored_at < ? ORDER BY stored_at, object_key LIMIT ?',
      ),
      forget: db.prepare<[string]>('DELETE FROM stored_objects WHERE object_key = ?'),
    };
  }

  /** Records one stored file; a key recorded before (a retry of the same file) is not counted twice. */
  record(file: { sessionId: string; invocationId: string; key: string; size: number }, at: Date = new Date()): void {
    const { changes } = this.stmts.insert.run(file.key, file.sessionId, file.sessionId, file.invocationId, file.size, at.toISOString());
    if (changes > 0) this.opts.onRecord?.(file);
  }

  /** Bytes of stored files the key holds. */
  usedBytes(ownerKeyId: string): number {
    return this.stmts.used.get(ownerKeyId)?.bytes ?? 0;
  }

  /** Bytes the key holds: stored, plus admitted by a run and being stored now. */
  heldBytes(ownerKeyId: string): number {
    return this.usedBytes(ownerKeyId) + (this.reserved.get(ownerKeyId) ?? 0);
  }

  /**
   * Lets through, in order, the files that fit in what is left of the key's quota and reserves
   * their bytes; the rest are skipped with reason `storage_quota`. No owner or quota 0: all pass.
   * @example const admitted = ledger.admit(files, ownerKeyId, quotaBytes); try { await upload(admitted.files); } finally { admitted.release(); }
   */
  admit<F extends { path: string; size: number }>(files: F[], ownerKeyId: string | undefined, quotaBytes: number): QuotaAdmission<F> {
    if (ownerKeyId === undefined || quotaBytes === 0) return { files, skipped: [], release: () => {} };
    let left = quotaBytes - this.heldBytes(ownerKeyId);
    const admitted: F[] = [];
    const skipped: SkippedFile[] = [];
    let reserved = 0;
    for (const file of files) {
      if (file.size <= left) {
        admitted.push(file);
        left -= file.size;
        reserved += file.size;
        continue;
      }
      skipped.push(
        skippedEntry(file.path, {
          reason: 'storage_quota',
          detail:
            `Not stored: its ${file.size} bytes would take this API key past its storage quota of ${quotaBytes} bytes ` +
            `(${Math.max(0, left)} bytes left). It is still in the session's workspace; stored files are deleted after the ` +
            "retention period, or the operator can raise the key's quota (cca keys update KEY_ID --storage-quota MB).",
        }),
      );
    }
    this.reserved.set(ownerKeyId, (this.reserved.get(ownerKeyId) ?? 0) + reserved);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const rest = (this.reserved.get(ownerKeyId) ?? 0) - reserved;
      if (rest > 0) this.reserved.set(ownerKeyId, rest);
      else this.reserved.delete(ownerKeyId);
    };
    return { files: admitted, skipped, release };
  }

  /** Files stored before `before`, oldest first, at most `limit`. */
  storedBefore(before: Date, limit: number): StoredObject[] {
    return this.stmts.expired.all(before.toISOString(), limit);
  }

  /** Forgets deleted files: their bytes no longer count against their key. */
  forget(keys: string[]): void {
    this.db.transaction(() => {
      for (const key of keys) this.stmts.forget.run(key);
    })();
  }
}
