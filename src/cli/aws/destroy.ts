/**
 * `cca destroy`: deletes the API stack, then the agent stack (the API reads the agent stack's
 * runtime, so it goes first), then deployment.json. Asks first unless `--yes`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_AGENT_STACK_NAME, DEFAULT_API_STACK_NAME } from '../../infra/defaults.js';
import type { CommandContext, CommandInput } from '../context.js';
import { EXIT, UsageError, type CliIo } from '../io.js';
import { describeAwsError } from './aws-errors.js';
import type { CdkAppContext } from './cdk-context.js';
import { CdkCli } from './cdk.js';
import { awsClients, withDefaults } from './clients.js';
import { isYes, readLineFromTerminal } from './confirm.js';
import { readDeployment, removeDeployment, resolveRegion, writeDeployment, type DeploymentInfo } from './deployment.js';
import { tail } from './process-runner.js';
import { defaultRepoRoot } from './repo-root.js';
import { describeStack } from './stacks.js';

/** The flags commander parsed for it (declared in commands/). */
type Flags = { 'api-only'?: boolean; yes?: boolean; region?: string; stack?: string; 'api-stack'?: string };

/**
 * Runs `cca destroy`: 0 destroyed (or nothing there), 1 a deletion failed, 2 usage or not confirmed
 * on a non-terminal.
 */
export async function runDestroy({ values }: CommandInput<Flags>, ctx: CommandContext): Promise<number> {
  const { env, io } = ctx;
  const { run, cwd } = withDefaults(ctx);
  const readLine = ctx.readLine ?? readLineFromTerminal;
  const deployment: DeploymentInfo | undefined = readDeployment(cwd);
  const apiOnly: boolean = values['api-only'] === true;
  const yes: boolean = values.yes === true;
  const context: CdkAppContext = {
    region: resolveRegion(values.region, deployment, env),
    stackName: values.stack ?? deployment?.stack ?? DEFAULT_AGENT_STACK_NAME,
    apiStackName: values['api-stack'] ?? deployment?.api_stack ?? DEFAULT_API_STACK_NAME,
    deployRuntime: true,
    deployApi: true,
    ...(deployment ? { imageTag: deployment.image_tag, modelId: deployment.model_id } : {}),
  };

  const { cloudFormation } = awsClients(context.region, env, ctx.clients);
  const wanted = apiOnly ? [context.apiStackName] : [context.apiStackName, context.stackName];
  const present: string[] = [];
  try {
    for (const stack of wanted) if ((await describeStack(cloudFormation, stack)) !== undefined) present.push(stack);
  } catch (err) {
    io.stderr(`cca: ${describeAwsError(err, 'CloudFormation DescribeStacks')}\n`);
    return EXIT.failure;
  }
  if (present.length === 0) {
    io.stdout(`Nothing to destroy: no stack ${wanted.join(' or ')} in ${context.region}.\n`);
    forget(cwd, deployment, apiOnly, io);
    return EXIT.ok;
  }

  if (!yes) {
    const answer = await readLine(`Delete ${present.join(' and ')} in ${context.region}? This cannot be undone. [y/N] `);
    if (answer === undefined) {
      throw new UsageError('destroy deletes AWS resources and asks first; stdin is not a terminal, so pass --yes to confirm.');
    }
    if (!isYes(answer)) {
      io.stdout('Nothing deleted.\n');
      return EXIT.ok;
    }
  }

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-destroy-'));
  const cdk = new CdkCli({ run, repoRoot: ctx.repoRoot ?? defaultRepoRoot(), workDir, env, onOutput: (text) => io.stderr(text) });
  try {
    for (const [i, stack] of present.entries()) {
      io.stdout(`[${i + 1}/${present.length}] Destroying ${stack}\n`);
      const result = await cdk.destroy(stack, context);
      if (result.code !== 0) {
        io.stderr(`cca: cdk destroy ${stack} failed (exit ${result.code}):\n${tail(result)}\n`);
        return EXIT.failure;
      }
    }
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  forget(cwd, deployment, apiOnly, io);
  if (!apiOnly && deployment) io.stdout(keptResources(deployment));
  return EXIT.ok;
}

/** Drops what no longer exists from deployment.json: the API fields, or the whole file. */
function forget(cwd: string, deployment: DeploymentInfo | undefined, apiOnly: boolean, io: CliIo): void {
  if (deployment === undefined) return;
  if (apiOnly) {
    const { api_stack: _stack, api_endpoint: _endpoint, api_key_id: _key, ...rest } = deployment;
    writeDeployment(cwd, rest);
    io.stdout('Removed the API from deployment.json.\n');
  } else if (removeDeployment(cwd)) {
    io.stdout('Removed deployment.json.\n');
  }
}

/** What CloudFormation keeps unless the stack was deployed with --empty-on-destroy. */
function keptResources(d: DeploymentInfo): string {
  const repository = d.repository_uri.slice(d.repository_uri.indexOf('/') + 1);
  return (
    `Unless deployed with --empty-on-destroy, the bucket (your files) and the image repository are kept. To delete them:\n` +
    `  aws s3 rb s3://${d.bucket} --force --region ${d.region}   (a versioned bucket also needs its old versions deleted)\n` +
    `  aws ecr delete-repository --repository-name ${repository} --force --region ${d.region}\n`
  );
}
