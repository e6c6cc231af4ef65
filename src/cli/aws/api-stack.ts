/** The API stack step shared by `cca deploy --api` and `cca deploy-api`. */
import { API_OUTPUTS } from '../../infra/defaults.js';
import type { CdkCli } from './cdk.js';
import type { CdkAppContext } from './cdk-context.js';
import { tail } from './process-runner.js';
import type { StackSummary } from './stacks.js';
import { StepError } from './steps.js';

/** The deployment.json fields the API stack adds. */
export interface ApiFields {
  api_stack: string;
  api_endpoint: string;
  api_key_id: string;
}

/**
 * Deploys the API stack alone (`--exclusively`: the agent stack it reads is already deployed).
 * @example const api = await deployApiStack(cdk, { ...context, deployApi: true });
 */
export async function deployApiStack(cdk: CdkCli, context: CdkAppContext): Promise<ApiFields> {
  const { result, outputs } = await cdk.deploy(
    context.apiStackName,
    { ...context, deployRuntime: true, deployApi: true },
    { exclusively: true },
  );
  if (result.code !== 0) throw new StepError(`cdk deploy ${context.apiStackName} failed (exit ${result.code}):\n${tail(result)}`);
  return {
    api_stack: context.apiStackName,
    api_endpoint: requireOutput(outputs, API_OUTPUTS.apiEndpoint, context.apiStackName),
    api_key_id: requireOutput(outputs, API_OUTPUTS.apiKeyId, context.apiStackName),
  };
}

/** The API fields from a deployed API stack's outputs; undefined when they are not all there. */
export function apiFieldsOf(stack: StackSummary): ApiFields | undefined {
  const endpoint = stack.outputs[API_OUTPUTS.apiEndpoint];
  const keyId = stack.outputs[API_OUTPUTS.apiKeyId];
  return endpoint && keyId ? { api_stack: stack.name, api_endpoint: endpoint, api_key_id: keyId } : undefined;
}

/** A stack output that must be there. */
export function requireOutput(outputs: Record<string, string>, name: string, stack: string): string {
  const value = outputs[name];
  if (value === undefined || value === '') {
    throw new StepError(
      `the stack ${stack} has no output ${name} (got: ${Object.keys(outputs).join(', ') || 'none'}); is the CDK app up to date (npm run build)?`,
    );
  }
  return value;
}

/** The invoke URL of an API endpoint output (`https://ID.execute-api.REGION.amazonaws.com/prod/`). */
export function invokeUrlOf(apiEndpoint: string): string {
  const trimmed = apiEndpoint.replace(/\/+$/, '');
  return trimmed.endsWith('/invoke') ? trimmed : `${trimmed}/invoke`;
}
