/**
 * The ApiStack: API Gateway (REST, API key, usage plan) and the Lambda that dispatches to the
 * AgentStack's runtime. Deployed after the AgentStack's runtime exists.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ApiFunction } from './api-function.js';
import { API_OUTPUTS, DEFAULT_API_STACK_NAME, DEFAULT_REGION, normalizeStoragePrefix } from './defaults.js';
import { assertRegion } from './errors.js';
import { AgentRestApi } from './rest-api.js';

export interface ApiStackProps extends StackProps {
  /** The AgentCore Runtime's ARN (a literal, or an import from the AgentStack). */
  runtimeArn: string;
  /** The artifact bucket's name (session state is read from `<prefix>/sessions/`). */
  bucketName: string;
  /** The runtime's storage prefix ('' default). */
  storagePrefix?: string;
  /** Directory with the bundled handler `index.mjs` (default: `dist/lambda` of the package). */
  lambdaCodeDir?: string;
  /** Origins allowed by CORS (default: any). */
  corsOrigins?: string[];
  /** Retention of the Lambda's and the API's logs (default: one month). */
  logRetention?: logs.RetentionDays;
  /** How long GET /sessions/{session_id}/events waits for a new event, 0-25 s (default: the Lambda's, 20). */
  eventsWaitS?: number;
  /** Runs one API key may have in progress at once, 0 (no cap) to 1000 (default: the Lambda's, 4). */
  keyMaxConcurrent?: number;
  /** The runtime's MCP server names (e.g. ["gateway"]); the Lambda checks `mcp_servers` against them. */
  mcpServers?: string[];
}

/**
 * The public API on AWS, with the outputs `cca` reads.
 * @example new ApiStack(app, 'Api', { runtimeArn, bucketName, env: { region: 'us-east-1' } });
 */
export class ApiStack extends Stack {
  readonly function: ApiFunction;
  readonly restApi: AgentRestApi;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    const region = props.env?.region ?? DEFAULT_REGION;
    assertRegion(region);
    super(scope, id, { ...props, stackName: props.stackName ?? DEFAULT_API_STACK_NAME, env: { ...props.env, region } });

    this.function = new ApiFunction(this, 'Dispatch', {
      runtimeArn: props.runtimeArn,
      bucketName: props.bucketName,
      storagePrefix: normalizeStoragePrefix(props.storagePrefix ?? ''),
      codeDir: props.lambdaCodeDir,
      logRetention: props.logRetention,
      eventsWaitS: props.eventsWaitS,
      keyMaxConcurrent: props.keyMaxConcurrent,
      mcpServers: props.mcpServers,
    });
    this.restApi = new AgentRestApi(this, 'Rest', {
      handler: this.function.fn,
      corsOrigins: props.corsOrigins,
      logRetention: props.logRetention,
    });

    new CfnOutput(this, API_OUTPUTS.apiEndpoint, { value: this.restApi.invokeUrl, description: 'POST here with the header x-api-key' });
    new CfnOutput(this, API_OUTPUTS.apiKeyId, {
      value: this.restApi.apiKey.keyId,
      description: 'API key id (cca api-key reads its value)',
    });
    new CfnOutput(this, API_OUTPUTS.apiId, { value: this.restApi.api.restApiId, description: 'REST API id' });
    new CfnOutput(this, API_OUTPUTS.functionName, { value: this.function.fn.functionName, description: 'Dispatch Lambda (cca logs)' });
  }
}
