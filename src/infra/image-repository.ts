/**
 * The ECR repository the runtime's container image is pushed to (`cca deploy` pushes it between
 * the two phases of the AgentStack).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type { Construct } from 'constructs';

/** How many images the repository keeps: older ones are expired by its lifecycle policy. */
export const KEPT_IMAGES = 5;

/**
 * An encrypted repository that scans each pushed image and keeps the last five.
 * @example const repo = imageRepository(this, { emptyOnDestroy: false });
 */
export function imageRepository(scope: Construct, props: { emptyOnDestroy?: boolean } = {}): ecr.Repository {
  const repository = new ecr.Repository(scope, 'Repository', {
    imageScanOnPush: true,
    encryption: ecr.RepositoryEncryption.AES_256,
    // `latest` is re-pushed on every deploy, so tags must stay mutable.
    imageTagMutability: ecr.TagMutability.MUTABLE,
    lifecycleRules: [{ description: `Keep the last ${KEPT_IMAGES} images`, maxImageCount: KEPT_IMAGES }],
    removalPolicy: props.emptyOnDestroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    emptyOnDelete: props.emptyOnDestroy === true,
  });
  // The L2 leaves AES-256 (ECR's default) implicit; state it so the template shows the encryption.
  (repository.node.defaultChild as ecr.CfnRepository).encryptionConfiguration = { encryptionType: 'AES256' };
  return repository;
}
