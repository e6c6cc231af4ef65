/**
 * The CDK feature flags the stacks rely on, set on each stack so they hold however the stack is
 * built (by `buildApp`, a test, or another app).
 */
import type { Stack } from 'aws-cdk-lib';

const FLAGS: Record<string, boolean> = {
  // Server access logs are delivered by a bucket policy, not the legacy log-delivery ACL (which a
  // bucket with ACLs disabled cannot have).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
};

/**
 * Sets the flags on a stack; call first in the constructor (context cannot change after children exist).
 * @example useStackFeatureFlags(this);
 */
export function useStackFeatureFlags(stack: Stack): void {
  for (const [name, value] of Object.entries(FLAGS)) {
    if (stack.node.tryGetContext(name) === undefined) stack.node.setContext(name, value);
  }
}
