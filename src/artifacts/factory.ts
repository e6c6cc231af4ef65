import path from 'node:path';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { AwsConfig, Config } from '../config/index.js';
import { LocalArtifactStore } from './local-store.js';
import { S3ArtifactStore } from './s3-store.js';
import type { UrlSigner } from './signer.js';
import type { ArtifactStore } from './store.js';

/** The store the service writes to, plus what its other parts need: the local store (for `/files/`) or the S3 client and bucket (for the state mirror). */
export interface ArtifactStoreSetup {
  store: ArtifactStore;
  local?: LocalArtifactStore;
  s3?: { client: S3Client; bucket: string; prefix: string };
}

/**
 * Builds the configured artifact store: `<dataDir>/artifacts` on disk, or the S3 bucket of `--storage s3://...`.
 * @example
 * const { store, local, s3 } = createArtifactStore(config, signer);
 * if (local) app.route('/', filesRoutes(local, signer));
 */
export function createArtifactStore(config: Config, signer: UrlSigner): ArtifactStoreSetup {
  const expiresInSeconds = config.limits.downloadUrlTtlS;
  if (config.storage.kind === 'local') {
    const local = new LocalArtifactStore({ root: path.join(config.dataDir, 'artifacts'), signer, expiresInSeconds });
    return { store: local, local };
  }
  const { bucket, prefix } = config.storage;
  const client = createS3Client(config.aws);
  const store = new S3ArtifactStore({ client, bucket, prefix, expiresInSeconds, region: config.aws.region });
  return { store, s3: { client, bucket, prefix } };
}

/**
 * An S3 client for the configured region and endpoint; credentials come from the SDK's default chain.
 * @example
 * const client = createS3Client(config.aws, { maxAttempts: 1 });
 */
export function createS3Client(aws: AwsConfig, overrides: S3ClientConfig = {}): S3Client {
  return new S3Client({
    region: aws.region,
    maxAttempts: 3,
    forcePathStyle: aws.s3ForcePathStyle,
    ...(aws.s3Endpoint === undefined
      ? {}
      : {
          endpoint: aws.s3Endpoint,
          // S3-compatible servers often reject the flexible checksums the SDK now sends by default.
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }),
    ...overrides,
  });
}
