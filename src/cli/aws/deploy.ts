/**
 * `cca deploy`: the original's deploy.sh (+ deploy_api.sh with `--api`) as one command. The
 * agent stack goes up in two phases because the runtime needs an image that needs the repository:
 * bucket, repository and role first (and the gateway, with `--gateway`); then the image; then the
 * runtime running that image.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AGENT_OUTPUTS, DEFAULT_AGENT_STACK_NAME, DEFAULT_API_STACK_NAME, GATEWAY_OUTPUTS } from '../../infra/defaults.js';
import { parseModelId } from '../../infra/model-arns.js';
import type { CommandContext, CommandInput } from '../context.js';
import { EXIT, UsageError } from '../io.js';
import { apiFieldsOf, deployApiStack, invokeUrlOf, requireOutput } from './api-stack.js';
import { describeAwsError } from './aws-errors.js';
import type { CdkAppContext } from './cdk-context.js';
import { CdkCli } from './cdk.js';
import { awsClients, withDefaults } from './clients.js';
import { readDeployment, resolveRegion, writeDeployment, type DeploymentInfo } from './deployment.js';
import { checkAttachedGateway, chooseGateway, gatewayContext, gatewayFields, type GatewayChoice, type GatewayFlags } from './gateway.js';
import { buildAndPush, defaultImageTag, dockerLogin, ecrToken, isValidImageTag } from './image.js';
import { deployPhaseOne } from './phase-one.js';
import { checkPrerequisites } from './prerequisites.js';
import { tail } from './process-runner.js';
import { defaultRepoRoot } from './repo-root.js';
import { waitForRuntime } from './runtime-status.js';
import { describeStack } from './stacks.js';
import { createSteps, StepError } from './steps.js';

/** The flags commander parsed for it (declared in commands/). */
type Flags = {
  api?: boolean;
  region?: string;
  stack?: string;
  'api-stack'?: string;
  model?: string;
  'image-tag'?: string;
  'empty-on-destroy'?: boolean;
} & GatewayFlags;

/**
 * Runs `cca deploy` and returns its exit status: 0 deployed, 1 a step failed, 2 usage.
 */
export async function runDeploy({ values }: CommandInput<Flags>, ctx: CommandContext): Promise<number> {
  const { env, io } = ctx;
  const { run, cwd, now, sleep } = withDefaults(ctx);
  const repoRoot = ctx.repoRoot ?? defaultRepoRoot();
  const previous = readDeployment(cwd);
  const region = resolveRegion(values.region, previous, env);
  const stackName = values.stack ?? previous?.stack ?? DEFAULT_AGENT_STACK_NAME;
  const same = previous?.stack === stackName && previous.region === region ? previous : undefined;
  if (values.model !== undefined) parseModel(values.model);
  if (values['image-tag'] !== undefined && !isValidImageTag(values['image-tag'])) {
    throw new UsageError(`--image-tag must be a Docker tag (letters, digits, ".", "_", "-", at most 128); got "${values['image-tag']}".`);
  }
  const imageTag: string = values['image-tag'] ?? (await defaultImageTag(run, repoRoot, now()));
  const api: boolean = values.api === true;
  let gateway: GatewayChoice = chooseGateway(values, same);
  const modelId = values.model ?? same?.model_id;
  const context: CdkAppContext = {
    region,
    stackName,
    apiStackName: values['api-stack'] ?? same?.api_stack ?? DEFAULT_API_STACK_NAME,
    deployRuntime: false,
    deployApi: false,
    imageTag,
    ...(modelId === undefined ? {} : { modelId }),
    ...(values['empty-on-destroy'] ? { emptyOnDestroy: true } : {}),
  };

  const clients = awsClients(context.region, env, ctx.clients);
  const steps = createSteps(io, api ? 7 : 6);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-deploy-'));
  const cdk = new CdkCli({ run, repoRoot, workDir, env, onOutput: (text) => io.stderr(text) });
  io.stdout(`Deploying ${context.stackName} to ${context.region} (image tag ${imageTag}).\n`);
  try {
    steps.start('Checking prerequisites: Docker buildx, the CDK app, AWS credentials');
    const check = await checkPrerequisites({ run, cloudFormation: clients.cloudFormation, repoRoot, needDocker: true });
    if (!check.ok) throw new StepError(`missing prerequisites:\n${check.problems.map((p) => `  - ${p}`).join('\n')}`);
    steps.detail(`${check.buildx}; credentials accepted; CDK ${check.bootstrapped ? 'bootstrapped' : 'not bootstrapped yet'}`);
    if (gateway.mode === 'attach') {
      const controlIn = (r: string) => (r === region ? clients.agentCoreControl : awsClients(r, env).agentCoreControl);
      const attached = await checkAttachedGateway(controlIn, gateway, region);
      gateway = attached.choice;
      steps.detail(attached.summary);
    }
    // The gateway joins the context once an attached one is checked (its full ARN and URL known).
    Object.assign(context, gatewayContext(gateway));

    // What is there already: a deployed runtime skips phase 1; a deployed API keeps its imports in phase 2.
    const existing = await describeStack(clients.cloudFormation, context.stackName);
    const apiStack = await describeStack(clients.cloudFormation, context.apiStackName);

    steps.start(`Deploying ${context.stackName}, phase 1: artifact bucket, image repository, execution role`);
    const phase1 = await deployPhaseOne({ cdk, clients, context, bootstrapped: check.bootstrapped, existing, steps });
    const { repositoryUri, bucket } = phase1;
    let login = phase1.login;

    steps.start(`Building and pushing the ARM64 image ${repositoryUri}:${imageTag}`);
    login ??= await ecrToken(clients.ecr);
    const loggedIn = await dockerLogin(run, login);
    if (loggedIn.code !== 0) throw new StepError(`docker login ${login.registry} failed (exit ${loggedIn.code}):\n${tail(loggedIn)}`);
    const pushed = await buildAndPush(run, { repositoryUri, tag: imageTag, context: repoRoot, onOutput: (text) => io.stderr(text) });
    if (pushed.code !== 0) throw new StepError(`docker buildx build failed (exit ${pushed.code}):\n${tail(pushed)}`);

    steps.start(`Deploying ${context.stackName}, phase 2: the AgentCore Runtime running ${imageTag}`);
    // With the API stack in the app, the agent stack keeps exporting what the API imports.
    const phase2 = await cdk.deploy(context.stackName, { ...context, deployRuntime: true, deployApi: apiStack !== undefined });
    if (phase2.result.code !== 0)
      throw new StepError(`cdk deploy ${context.stackName} failed (exit ${phase2.result.code}):\n${tail(phase2.result)}`);
    const runtimeArn = requireOutput(phase2.outputs, AGENT_OUTPUTS.runtimeArn, context.stackName);
    const runtimeId = requireOutput(phase2.outputs, AGENT_OUTPUTS.runtimeId, context.stackName);
    const modelId = requireOutput(phase2.outputs, AGENT_OUTPUTS.modelId, context.stackName);
    if (gateway.mode !== 'none') requireOutput(phase2.outputs, GATEWAY_OUTPUTS.gatewayUrl, context.stackName);

    steps.start(`Waiting for the runtime ${runtimeId} to be READY`);
    await waitForRuntime(clients.agentCoreControl, runtimeId, { sleep, onStatus: (status) => steps.detail(`status: ${status}`) });

    let apiFields = apiStack === undefined ? undefined : apiFieldsOf(apiStack);
    if (api) {
      steps.start(`Deploying ${context.apiStackName}: API Gateway, Lambda, API key, usage plan`);
      apiFields = await deployApiStack(cdk, { ...context, deployRuntime: true });
      steps.detail(`endpoint ${invokeUrlOf(apiFields.api_endpoint)}`);
    }

    steps.start('Writing deployment.json');
    const info: DeploymentInfo = {
      region: context.region,
      stack: context.stackName,
      bucket,
      repository_uri: repositoryUri,
      runtime_arn: runtimeArn,
      runtime_id: runtimeId,
      model_id: modelId,
      image_tag: imageTag,
      ...apiFields,
      ...gatewayFields(gateway, phase2.outputs),
      deployed_at: now().toISOString(),
    };
    const file = writeDeployment(cwd, info);
    steps.detail(file);
    io.stdout(summary(info));
    return EXIT.ok;
  } catch (err) {
    const what = err instanceof StepError ? err.message : describeAwsError(err, 'the AWS call');
    io.stderr(`cca: deploy stopped at step ${steps.current}: ${what}\n`);
    return EXIT.failure;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

function parseModel(modelId: string): void {
  try {
    parseModelId(modelId);
  } catch (err) {
    throw new UsageError(`--model: ${(err as Error).message}`);
  }
}

/** What was deployed and what to run next. */
export function summary(info: DeploymentInfo): string {
  const lines = [
    '',
    `Deployed ${info.stack} in ${info.region}.`,
    `  runtime:  ${info.runtime_arn}`,
    `  image:    ${info.repository_uri}:${info.image_tag}`,
    `  model:    ${info.model_id}`,
    `  bucket:   s3://${info.bucket}/outputs/`,
  ];
  if (info.api_endpoint) lines.push(`  api:      ${invokeUrlOf(info.api_endpoint)}`);
  if (info.gateway_url) lines.push(`  gateway:  ${info.gateway_url} (${info.gateway_mode ?? 'attached'}; the MCP server "gateway")`);
  lines.push(
    '',
    'Next:',
    '  cca invoke "Create a hello world Python script" --runtime',
    '  cca info',
    '  cca download',
    '  cca logs --follow',
  );
  if (info.gateway_mode === 'created') {
    lines.push(
      '  aws bedrock-agentcore-control create-gateway-target ...   (the gateway has no tools yet: README, "Tools through AgentCore Gateway")',
    );
  }
  if (info.api_endpoint) {
    lines.push(`  cca api "Create a hello world Python script" --endpoint ${invokeUrlOf(info.api_endpoint)} --api-key "$(cca api-key)"`);
  } else {
    lines.push('  cca deploy-api          (the HTTP API with an API key and usage plan)');
  }
  return `${lines.join('\n')}\n`;
}
