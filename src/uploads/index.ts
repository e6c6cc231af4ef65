/**
 * Uploads: files sent into a session's workspace before or between invocations, as multipart
 * bodies or tar/tar.gz/zip archives, or copied from the deployment's S3 `inputs/`. Every entry is
 * checked (no `..`, absolute paths, links, devices, bombs) and bounded per key and by the run's
 * disk limit; an upload lands whole or not at all.
 */
export { entryPath, uploadBase, UnsafeEntryError } from './entry-path.js';
export { Staging, type FileOwner, type SkippedEntry, type WrittenFile } from './staging.js';
export { uploadLimits, type UploadLimits } from './upload-limits.js';
export { UPLOAD_TYPES, uploadToWorkspace, type UploadResult, type UploadTarget } from './upload-to-workspace.js';
export { copyS3Prefix, INPUTS_FOLDER, inputsFolder } from './copy-s3-prefix.js';
