/**
 * The CDK app of `cca synth` / `cca deploy`: the AgentStack, optionally the ApiStack, checked by
 * cdk-nag's AwsSolutions rules (a violation not acknowledged with a reason fails synthesis).
 */
import fs from 'node:fs';
import path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AgentStack } from './agent-stack.js';
import { ApiStack } from './api-stack.js';
import { DEFAULT_AGENT_STACK_NAME, DEFAULT_API_STACK_NAME, DEFAULT_REGION } from './defaults.js';
import { InfraConfigError } from './errors.js';
import type { GatewayOption } from './gateway.js';

export interface BuildAppOptions {
  /** Default ap-northeast-1. */
  region?: string;
  /** Undefined: account-agnostic templates (the account is resolved at deploy time). */
  account?: string;
  /** AgentStack name (default claude-code-agent-stack). */
  stackName?: string;
  /** ApiStack name (default claude-code-agent-api-stack). */
  apiStackName?: string;
  /** Add the ApiStack (API Gateway + Lambda); needs the runtime. */
  api?: boolean;
  imageTag?: string;
  modelId?: string;
  emptyOnDestroy?: boolean;
  /** false: bucket, repository and role only (default true). */
  deployRuntime?: boolean;
  /** Where the cloud assembly is written (default: a temporary directory, CDK's). */
  outdir?: string;
  /** The bundled Lambda handler's directory (default dist/lambda). */
  lambdaCodeDir?: string;
  /** Key prefix in the bucket ('' default). */
  storagePrefix?: string;
  /** false: no AgentCore session storage, the data dir stays in the microVM (default true). */
  sessionStorage?: boolean;
  /** An AgentCore Gateway for the runtime's MCP tools: created, or attached by ARN (default: none). */
  gateway?: GatewayOption;
}

/**
 * The app with its stacks (construct ids = stack names, so templates are `<StackName>.template.json`).
 * @example const app = buildApp({ region: 'us-east-1', api: true }); app.synth();
 */
export function buildApp(opts: BuildAppOptions = {}): App {
  if (opts.api && opts.deployRuntime === false) {
    throw new InfraConfigError('The API stack needs the runtime: drop --api, or deploy the runtime (deployRuntime: true).');
  }
  const app = new App(opts.outdir === undefined ? {} : { outdir: opts.outdir });
  const env = { region: opts.region ?? DEFAULT_REGION, ...(opts.account === undefined ? {} : { account: opts.account }) };
  const stackName = opts.stackName ?? DEFAULT_AGENT_STACK_NAME;
  const agent = new AgentStack(app, stackName, {
    env,
    stackName,
    description: 'claude-code-agent: S3, ECR, IAM and the Amazon Bedrock AgentCore Runtime',
    imageTag: opts.imageTag,
    modelId: opts.modelId,
    emptyOnDestroy: opts.emptyOnDestroy,
    deployRuntime: opts.deployRuntime,
    storagePrefix: opts.storagePrefix,
    sessionStorage: opts.sessionStorage,
    gateway: opts.gateway,
  });
  if (opts.api) {
    const apiStackName = opts.apiStackName ?? DEFAULT_API_STACK_NAME;
    const api = new ApiStack(app, apiStackName, {
      env,
      stackName: apiStackName,
      description: 'claude-code-agent: API Gateway (API key, usage plan) and the Lambda that calls the AgentCore Runtime',
      ...agent.apiInputs(),
      lambdaCodeDir: opts.lambdaCodeDir,
    });
    api.addStackDependency(agent, 'imports the runtime ARN and bucket name');
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return app;
}

/**
 * The stacks of an app made by `buildApp`.
 * @example const { agent, api } = stacksOf(buildApp({ api: true }));
 */
export function stacksOf(app: App): { agent: AgentStack; api: ApiStack | undefined } {
  const stacks = app.node.children.filter((c): c is Stack => Stack.isStack(c));
  const agent = stacks.find((s): s is AgentStack => s instanceof AgentStack);
  if (!agent) throw new Error('not an app made by buildApp: no AgentStack');
  return { agent, api: stacks.find((s): s is ApiStack => s instanceof ApiStack) };
}

/**
 * Synthesizes the app into `outdir` (default ./cdk.out): a cloud assembly `cdk deploy --app DIR`
 * takes, with one `<StackName>.template.json` per stack. Throws the cdk-nag report on a violation.
 * @example const { templates } = synthesize({ api: true, outdir: 'cdk.out' });
 */
export function synthesize(opts: BuildAppOptions = {}): { outdir: string; templates: string[] } {
  const outdir = path.resolve(opts.outdir ?? 'cdk.out');
  fs.mkdirSync(outdir, { recursive: true });
  const assembly = buildApp({ ...opts, outdir }).synth();
  return { outdir: assembly.directory, templates: assembly.stacks.map((s) => path.join(assembly.directory, s.templateFile)) };
}
