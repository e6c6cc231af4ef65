/**
 * The CDK app `cca deploy` and `cca destroy` hand to the CDK CLI (`--app "node dist/cli/aws/cdk-app.js"`):
 * it reads the `-c key=value` context `cca` passes and builds the stacks with `buildApp`.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { buildApp, type BuildAppOptions } from '../../infra/index.js';
import { parseContext } from './cdk-context.js';

/**
 * The app's options from CDK context.
 * @example appOptions((key) => ({ deployRuntime: 'false' })[key], {}) // { region: 'ap-northeast-1', deployRuntime: false, api: false, ... }
 */
export function appOptions(get: (key: string) => unknown, env: NodeJS.ProcessEnv): BuildAppOptions {
  const context = parseContext(get, env);
  return {
    region: context.region,
    stackName: context.stackName,
    apiStackName: context.apiStackName,
    deployRuntime: context.deployRuntime,
    api: context.deployApi,
    emptyOnDestroy: context.emptyOnDestroy === true,
    ...(context.imageTag === undefined ? {} : { imageTag: context.imageTag }),
    ...(context.modelId === undefined ? {} : { modelId: context.modelId }),
    ...(context.gateway ? { gateway: { mode: 'create' as const } } : {}),
    ...(context.gatewayArn === undefined
      ? {}
      : {
          gateway: {
            mode: 'attach' as const,
            ref: context.gatewayArn,
            ...(context.gatewayUrl === undefined ? {} : { url: context.gatewayUrl }),
          },
        }),
  };
}

/** Reads the context (an App that never synthesizes itself), builds the real app, synthesizes it. */
function main(): void {
  const probe = new App({ autoSynth: false });
  buildApp(appOptions((key) => probe.node.tryGetContext(key), process.env)).synth();
}

// Run as the CDK app (node dist/cli/aws/cdk-app.js), not when imported by a test.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`cca cdk app: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
