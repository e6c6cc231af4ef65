/**
 * The storage quota of API keys as runs meet it: a key at its quota cannot start a run (507), and a
 * run that reaches it stores the files that fit and reports the rest as skipped (`storage_quota`).
 * Every stored file is recorded in the ledger, which counts the bytes of each key.
 */
import type { FileEntry } from '../workspace/index.js';
import type { QuotaAdmission, StorageLedger, UploadedFile } from '../artifacts/index.js';
import { StorageQuotaError } from '../errors/index.js';

/** The ledger and the quota of each key (0: none). */
export interface StorageQuota {
  ledger: StorageLedger;
  quotaBytes(ownerKeyId: string): number;
  /** Days files are kept (0: forever), for the message of a refusal. */
  retentionDays: number;
}

/**
 * Throws StorageQuotaError when the key's stored files (and those being stored) fill its quota.
 * @example assertStorageRoom(deps.storage, ctx.ownerKeyId);
 */
export function assertStorageRoom(storage: StorageQuota | undefined, ownerKeyId: string | undefined): void {
  if (storage === undefined || ownerKeyId === undefined) return;
  const quota = storage.quotaBytes(ownerKeyId);
  if (quota === 0) return;
  const held = storage.ledger.heldBytes(ownerKeyId);
  if (held < quota) return;
  const frees =
    storage.retentionDays > 0 ? `stored files are deleted ${storage.retentionDays} days after they were stored, which frees room; ` : '';
  throw new StorageQuotaError(
    `This API key's stored files take ${held} bytes of its ${quota}-byte storage quota, so a run could store nothing. ` +
      `Download what you need; ${frees}the operator can raise the quota with: cca keys update KEY_ID --storage-quota MB.`,
    { used_bytes: held, quota_bytes: quota },
  );
}

/**
 * What storeChanges needs of the quota for one run: the gate of its owner's files, and the
 * recording of each stored file.
 * @example const { quota, record } = storageForRun(deps.storage, run.ownerKeyId, run.sessionId, run.invocationId);
 */
export function storageForRun(
  storage: StorageQuota | undefined,
  ownerKeyId: string | undefined,
  sessionId: string,
  invocationId: string,
): { quota?: (files: FileEntry[]) => QuotaAdmission<FileEntry>; record: (file: UploadedFile) => void } {
  if (storage === undefined) return { record: () => {} };
  const record = (file: UploadedFile) => storage.ledger.record({ sessionId, invocationId, key: file.key, size: file.size });
  if (ownerKeyId === undefined) return { record };
  const quotaBytes = storage.quotaBytes(ownerKeyId);
  return { quota: (files) => storage.ledger.admit(files, ownerKeyId, quotaBytes), record };
}
