/**
 * Artifacts: every file a run created or changed, stored under a per-invocation prefix
 * and handed back as signed download links.
 */
export { contentTypeFor } from './content-type.js';
export { filesRoutes } from './files-routes.js';
export { objectKey, outputPrefix } from './keys.js';
export { LocalArtifactStore } from './local-store.js';
export type { LocalArtifactStoreOptions } from './local-store.js';
export { UrlSigner } from './signer.js';
export { loadSigningSecret } from './signing-secret.js';
export type { ArtifactLinks, ArtifactStore } from './store.js';
export { uploadFiles } from './upload.js';
export type { FailedUpload, UploadedFile, UploadOptions } from './upload.js';
