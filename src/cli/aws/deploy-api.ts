/**
 * `cca deploy-api`: the original's deploy_api.sh. Puts the HTTP API (API Gateway + Lambda, API
 * key, usage plan) in front of the runtime deployment.json names.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_API_STACK_NAME } from '../../infra/defaults.js';
import type { CommandContext, CommandInput } from '../context.js';
import { EXIT } from '../io.js';
import { deployApiStack, invokeUrlOf } from './api-stack.js';
import { describeAwsError } from './aws-errors.js';
import { CdkCli } from './cdk.js';
import { awsClients, withDefaults } from './clients.js';
import { requireDeployment, writeDeployment, type DeploymentInfo } from './deployment.js';
import { chooseGateway, gatewayContext } from './gateway.js';
import { checkPrerequisites } from './prerequisites.js';
import { defaultRepoRoot } from './repo-root.js';
import { createSteps, StepError } from './steps.js';

/** The flags commander parsed for it (declared in commands/). */
type Flags = { 'api-stack'?: string };

/**
 * Runs `cca deploy-api`: 0 deployed, 1 a step failed, 2 usage (no deployment.json).
 */
export async function runDeployApi({ values }: CommandInput<Flags>, ctx: CommandContext): Promise<number> {
  const { env, io } = ctx;
  const { run, cwd, now } = withDefaults(ctx);
  const repoRoot = ctx.repoRoot ?? defaultRepoRoot();
  const deployment: DeploymentInfo = requireDeployment(cwd, 'cca deploy-api');
  const apiStackName: string = values['api-stack'] ?? deployment.api_stack ?? DEFAULT_API_STACK_NAME;

  const clients = awsClients(deployment.region, env, ctx.clients);
  const steps = createSteps(io, 3);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-deploy-api-'));
  const cdk = new CdkCli({ run, repoRoot, workDir, env, onOutput: (text) => io.stderr(text) });
  try {
    steps.start('Checking prerequisites: the CDK app, AWS credentials');
    const check = await checkPrerequisites({ run, cloudFormation: clients.cloudFormation, repoRoot, needDocker: false });
    if (!check.ok) throw new StepError(`missing prerequisites:\n${check.problems.map((p) => `  - ${p}`).join('\n')}`);

    steps.start(`Deploying ${apiStackName} in front of ${deployment.runtime_arn}`);
    const api = await deployApiStack(cdk, {
      region: deployment.region,
      stackName: deployment.stack,
      apiStackName,
      deployRuntime: true,
      deployApi: true,
      imageTag: deployment.image_tag,
      modelId: deployment.model_id,
      // The app is built whole: the agent stack keeps the gateway it has, though only the API deploys.
      ...gatewayContext(chooseGateway({}, deployment)),
    });
    steps.detail(`endpoint ${invokeUrlOf(api.api_endpoint)}`);

    steps.start('Updating deployment.json');
    steps.detail(writeDeployment(cwd, { ...deployment, ...api, deployed_at: now().toISOString() }));
    io.stdout(
      `\nThe API is up: ${invokeUrlOf(api.api_endpoint)}\n` +
        `Next:\n  cca api-key --save\n  cca api "Create a hello world Python script" --endpoint ${invokeUrlOf(api.api_endpoint)}\n`,
    );
    return EXIT.ok;
  } catch (err) {
    const what = err instanceof StepError ? err.message : describeAwsError(err, 'the AWS call');
    io.stderr(`cca: deploy-api stopped at step ${steps.current}: ${what}\n`);
    return EXIT.failure;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
