/**
 * Phase 1 of `cca deploy`: the agent stack without its runtime (bucket, repository, role), so the
 * image has somewhere to go. Bootstraps CDK first when needed. Skipped when the stack already runs
 * a runtime: deploying it without one would delete the runtime (and the exports the API uses).
 */
import { AGENT_OUTPUTS } from '../../infra/defaults.js';
import { requireOutput } from './api-stack.js';
import { needsBootstrap, type CdkCli } from './cdk.js';
import type { CdkAppContext } from './cdk-context.js';
import type { AwsClients } from './clients.js';
import { ecrToken, type EcrLogin } from './image.js';
import { tail } from './process-runner.js';
import type { StackSummary } from './stacks.js';
import { StepError, type Steps } from './steps.js';

export interface PhaseOneResult {
  repositoryUri: string;
  bucket: string;
  /** The ECR token, when bootstrapping needed the account id (reused for docker login). */
  login: EcrLogin | undefined;
}

/**
 * Deploys (or skips) phase 1 and returns where the image goes.
 * @example const { repositoryUri } = await deployPhaseOne({ cdk, clients, context, bootstrapped, existing, steps });
 */
export async function deployPhaseOne(opts: {
  cdk: CdkCli;
  clients: AwsClients;
  context: CdkAppContext;
  /** Whether CDK's toolkit stack exists in the account and region. */
  bootstrapped: boolean;
  /** The agent stack as CloudFormation has it now, if at all. */
  existing: StackSummary | undefined;
  steps: Steps;
}): Promise<PhaseOneResult> {
  const { cdk, clients, context, existing, steps } = opts;
  if (existing?.outputs[AGENT_OUTPUTS.runtimeArn] !== undefined) {
    steps.detail(`skipped: ${context.stackName} is deployed with its runtime (${existing.status}); phase 2 updates it`);
    return {
      repositoryUri: requireOutput(existing.outputs, AGENT_OUTPUTS.repositoryUri, context.stackName),
      bucket: requireOutput(existing.outputs, AGENT_OUTPUTS.bucketName, context.stackName),
      login: undefined,
    };
  }
  let login: EcrLogin | undefined;
  let bootstrapped = false;
  const bootstrap = async () => {
    login ??= await ecrToken(clients.ecr);
    steps.detail(`Bootstrapping CDK in aws://${login.account}/${context.region} (once per account and region)`);
    const result = await cdk.bootstrap(login.account, context.region);
    if (result.code !== 0) throw new StepError(`cdk bootstrap failed (exit ${result.code}):\n${tail(result)}`);
    bootstrapped = true;
  };
  if (!opts.bootstrapped) await bootstrap();
  let deployed = await cdk.deploy(context.stackName, { ...context, deployRuntime: false, deployApi: false });
  // A toolkit stack that exists but is too old (or was deleted meanwhile): bootstrap once, retry once.
  if (needsBootstrap(deployed.result) && !bootstrapped) {
    await bootstrap();
    deployed = await cdk.deploy(context.stackName, { ...context, deployRuntime: false, deployApi: false });
  }
  if (deployed.result.code !== 0) {
    throw new StepError(`cdk deploy ${context.stackName} failed (exit ${deployed.result.code}):\n${tail(deployed.result)}`);
  }
  const repositoryUri = requireOutput(deployed.outputs, AGENT_OUTPUTS.repositoryUri, context.stackName);
  const bucket = requireOutput(deployed.outputs, AGENT_OUTPUTS.bucketName, context.stackName);
  steps.detail(`bucket ${bucket}, repository ${repositoryUri}`);
  return { repositoryUri, bucket, login };
}
