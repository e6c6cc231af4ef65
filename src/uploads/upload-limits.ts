/**
 * How much one upload may write, and the 413s that say which limit was hit and how to raise it.
 * The limits are checked on the bytes actually written, never on sizes an archive declares.
 */
import { PayloadTooLargeError } from '../errors/index.js';

const MiB = 1024 * 1024;

/** What one upload may write into a workspace. */
export interface UploadLimits {
  /** Bytes of file content (uncompressed); CCA_UPLOAD_MAX_MB or the key's max_upload_mb. */
  maxBytes: number;
  /** Files written; CCA_UPLOAD_MAX_FILES or the key's max_upload_files. */
  maxFiles: number;
  /** Bytes of one file. */
  maxEntryBytes: number;
  /** Most uncompressed bytes per compressed byte read (past a first `RATIO_GRACE_BYTES`). */
  maxRatio: number;
  /** Bytes the run's disk limit leaves free in the session (CCA_RUN_DISK_MB minus what it holds). */
  diskRoomBytes: number;
  /** The run's disk limit in MiB, for the message. */
  diskMb: number;
}

/** Compressed input of this size may expand freely: small archives of empty files have huge ratios. */
export const RATIO_GRACE_BYTES = 1 * MiB;
/** Source trees compress 3-10 times; 200 leaves room and stops a bomb after 200 bytes per byte. */
export const DEFAULT_MAX_RATIO = 200;

/**
 * The limits of one upload: the server's (`CCA_UPLOAD_MAX_MB`, `CCA_UPLOAD_MAX_FILES`) lowered by
 * the key's caps, and the room the run's disk limit leaves.
 * @example uploadLimits({ maxBytes: 100 * MiB, maxFiles: 1000 }, { maxUploadMb: 10 }, { diskMb: 2048, usedBytes: 0 })
 */
export function uploadLimits(
  server: { maxBytes: number; maxFiles: number },
  caps: { maxUploadMb?: number | null | undefined; maxUploadFiles?: number | null | undefined },
  disk: { diskMb: number; usedBytes: number },
): UploadLimits {
  const maxBytes = caps.maxUploadMb == null ? server.maxBytes : Math.min(server.maxBytes, caps.maxUploadMb * MiB);
  const maxFiles = caps.maxUploadFiles == null ? server.maxFiles : Math.min(server.maxFiles, caps.maxUploadFiles);
  return {
    maxBytes,
    maxFiles,
    maxEntryBytes: maxBytes,
    maxRatio: DEFAULT_MAX_RATIO,
    diskRoomBytes: Math.max(0, disk.diskMb * MiB - disk.usedBytes),
    diskMb: disk.diskMb,
  };
}

/** Over the bytes an upload may hold (413). */
export function tooManyBytes(limits: UploadLimits): PayloadTooLargeError {
  const mb = Math.floor(limits.maxBytes / MiB);
  return new PayloadTooLargeError(
    `The upload holds more than ${mb} MB of files, the most one upload may write. Send fewer or smaller files, ` +
      `or raise the limit: CCA_UPLOAD_MAX_MB on the server, \`cca keys update <key-id> --max-upload-mb N\` for a key. Nothing was written.`,
    { limit: limits.maxBytes, limit_name: 'upload_bytes' },
  );
}

/** Over the files an upload may hold (413). */
export function tooManyFiles(limits: UploadLimits): PayloadTooLargeError {
  return new PayloadTooLargeError(
    `The upload holds more than ${limits.maxFiles} files (or entries), the most one upload may write. Send fewer, ` +
      `or raise the limit: CCA_UPLOAD_MAX_FILES on the server, \`cca keys update <key-id> --max-upload-files N\` for a key. Nothing was written.`,
    { limit: limits.maxFiles, limit_name: 'upload_files' },
  );
}

/** The workspace would be over the run's disk limit (413). */
export function overDiskLimit(limits: UploadLimits): PayloadTooLargeError {
  return new PayloadTooLargeError(
    `The session's workspace would hold more than the run disk limit of ${limits.diskMb} MB ` +
      `(${Math.floor(limits.diskRoomBytes / MiB)} MB free before this upload): a run could not even start with it. ` +
      `Send less, or raise CCA_RUN_DISK_MB on the server or the key's --max-disk. Nothing was written.`,
    { limit: limits.diskMb * MiB, limit_name: 'run_disk' },
  );
}

/** The archive expands more than `maxRatio` times: a decompression bomb, stopped (413). */
export function overRatio(limits: UploadLimits): PayloadTooLargeError {
  return new PayloadTooLargeError(
    `The archive expands more than ${limits.maxRatio} times its compressed size, as decompression bombs do; it was stopped. ` +
      'Send it uncompressed (application/x-tar) or as multipart/form-data. Nothing was written.',
    { limit: limits.maxRatio, limit_name: 'compression_ratio' },
  );
}
