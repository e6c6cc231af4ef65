/**
 * The artifact bucket: every file the agent produced (`outputs/`, kept 30 days), inputs
 * (`inputs/`, 30 days), and the sessions' state (`sessions/`, `owners/`: kept while current, since
 * a saved session's unchanged files are blobs uploaded once and referenced by every later save; an
 * age rule would delete the files of a session still in use). Private, TLS only, versioned (old
 * versions of session state, a lease renewed every 20 s among them, go after a day); its access
 * logs go to a second bucket.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledgements.js';
import { ACCESS_LOG_RETENTION_DAYS, ARTIFACT_RETENTION_DAYS } from './defaults.js';

export interface ArtifactBucketProps {
  /** Delete both buckets and their objects with the stack (default: keep them). */
  emptyOnDestroy?: boolean;
  /** The key prefix the service writes under ('' or 'a/b'). */
  storagePrefix?: string;
}

/**
 * The artifact bucket and its access-log bucket.
 * @example const { bucket } = new ArtifactBucket(this, 'Artifacts', { emptyOnDestroy: false });
 */
export class ArtifactBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: ArtifactBucketProps = {}) {
    super(scope, id);
    const base = props.storagePrefix ? `${props.storagePrefix}/` : '';
    const removal = props.emptyOnDestroy
      ? { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true }
      : { removalPolicy: RemovalPolicy.RETAIN, autoDeleteObjects: false };

    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // Server access logging can only deliver to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(ACCESS_LOG_RETENTION_DAYS) }],
      ...removal,
    });
    acknowledge(this.accessLogs, {
      'AwsSolutions-S1': 'This is the server access log bucket of the artifact bucket; logging it into itself would loop.',
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'artifacts/',
      lifecycleRules: [
        ...['outputs/', 'inputs/'].map((folder) => ({
          id: `expire-${folder.slice(0, -1)}`,
          prefix: `${base}${folder}`,
          expiration: Duration.days(ARTIFACT_RETENTION_DAYS),
          noncurrentVersionExpiration: Duration.days(ARTIFACT_RETENTION_DAYS),
        })),
        ...['sessions/', 'owners/'].map((folder) => ({
          id: `old-versions-${folder.slice(0, -1)}`,
          prefix: `${base}${folder}`,
          noncurrentVersionExpiration: Duration.days(1),
        })),
        { id: 'abort-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
      ...removal,
    });
  }
}
