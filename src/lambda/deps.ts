/**
 * What the Lambda's routes need, passed in: production wires AWS clients built once per container
 * from the configuration; tests pass fakes or clients pointed at local peers.
 */
import { BedrockAgentCoreClient } from '@aws-sdk/client-bedrock-agentcore';
import type { S3Client } from '@aws-sdk/client-s3';
// The modules themselves, not the artifacts index: the Lambda needs no SQLite outbox.
import { createS3Client } from '../artifacts/factory.js';
import { S3ArtifactStore } from '../artifacts/s3-store.js';
import type { ArtifactStore } from '../artifacts/store.js';
import type { LambdaConfig } from './config.js';
import { s3Objects, type SessionObjects } from './objects.js';
import { agentCoreInvoker, type RuntimeInvoker } from './runtime.js';

export interface LambdaDeps {
  config: LambdaConfig;
  runtime: RuntimeInvoker;
  objects: SessionObjects;
  /** Makes download links of stored files (the runtime's own S3ArtifactStore, same bucket and prefix). */
  store: Pick<ArtifactStore, 'links'>;
  now: () => Date;
  /** Waits (the events long-poll); tests pass a faster one. */
  sleep: (ms: number) => Promise<void>;
  /** Where unexpected faults are reported (CloudWatch Logs through stdout/stderr). */
  logError: (message: string, fields: Record<string, unknown>) => void;
  /** Where notable actions are recorded (a session stopped by the Lambda). */
  logInfo: (message: string, fields: Record<string, unknown>) => void;
}

/** How the AWS clients are made; tests replace either. */
export interface ClientFactories {
  agentCore: (config: LambdaConfig) => BedrockAgentCoreClient;
  s3: (config: LambdaConfig) => S3Client;
}

export const defaultClientFactories: ClientFactories = {
  agentCore: (config) =>
    new BedrockAgentCoreClient({
      region: config.aws.region,
      ...(config.agentCoreEndpoint ? { endpoint: config.agentCoreEndpoint } : {}),
      // One attempt: a retried invocation could run the same task twice. Callers get 429/503
      // with Retry-After and decide.
      maxAttempts: 1,
    }),
  // The runtime's own S3 client setup: same endpoint override, path style and checksum settings.
  s3: (config) => createS3Client(config.aws),
};

/**
 * The production dependencies: real clients, the real clock, JSON lines on stderr.
 * @example const deps = buildDeps(loadLambdaConfig(process.env));
 */
export function buildDeps(config: LambdaConfig, factories: ClientFactories = defaultClientFactories): LambdaDeps {
  const s3 = factories.s3(config);
  const { bucket, prefix } = config;
  return {
    config,
    runtime: agentCoreInvoker(factories.agentCore(config), { runtimeArn: config.runtimeArn, qualifier: config.qualifier }),
    objects: s3Objects(s3, bucket),
    store: new S3ArtifactStore({ client: s3, bucket, prefix, expiresInSeconds: config.limits.downloadUrlTtlS, region: config.aws.region }),
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    logError: (message, fields) => console.error(JSON.stringify({ level: 'error', message, ...fields })),
    logInfo: (message, fields) => console.log(JSON.stringify({ level: 'info', message, ...fields })),
  };
}
