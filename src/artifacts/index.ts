/**
 * Artifacts: every file a run created or changed, stored under a per-invocation prefix (local
 * disk or S3) and handed back as signed download links; failed uploads wait in an outbox.
 */
export { contentTypeFor } from './content-type.js';
export { createArtifactStore, createS3Client } from './factory.js';
export type { ArtifactStoreSetup } from './factory.js';
export { decodeKeyPath, encodeKeyPath, keyBaseName, keySegments, MAX_KEY_BYTES, objectKey, outputPrefix, StorageKeyError } from './keys.js';
export { LocalArtifactStore } from './local-store.js';
export type { LocalArtifactStoreOptions } from './local-store.js';
export { UploadOutbox } from './outbox.js';
export type { OpenWorkspaceFile, OutboxEntry, OutboxRow, RetriedUpload, RetryResult, UploadOutboxOptions } from './outbox.js';
export { S3ArtifactStore } from './s3-store.js';
export type { S3ArtifactStoreOptions } from './s3-store.js';
export { UrlSigner } from './signer.js';
export { loadSigningSecret } from './signing-secret.js';
export type { ArtifactLinks, ArtifactStore, ListedObject, ReadableStore } from './store.js';
export { RetentionSweep, type RetentionSweepOptions } from './retention.js';
export { StorageLedger } from './storage-ledger.js';
export type { QuotaAdmission, StoredObject } from './storage-ledger.js';
export { uploadFiles } from './upload.js';
export type { FailedUpload, UploadedFile, UploadOptions } from './upload.js';
