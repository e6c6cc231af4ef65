/**
 * The REST API in front of the Lambda, shaped like the original sample's: an API key on every
 * method, a usage plan (10 requests/s, burst 20, 1000 a day), CORS, access logs and tracing.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledgements.js';
import { USAGE_PLAN } from './defaults.js';
import { CORS_ALLOW_HEADERS } from '../http/headers.js';

export interface AgentRestApiProps {
  handler: lambda.IFunction;
  /** Origins allowed by CORS (default: any). */
  corsOrigins?: string[];
  logRetention?: logs.RetentionDays;
}

/** What API Gateway answers (400) when POST /invoke's body does not match the InvokeRequest model. */
export const INVALID_BODY_MESSAGE =
  'Invalid request body: send a JSON object with a non-empty string "prompt" (or the AgentCore form {"input": {"prompt": "..."}}) and Content-Type: application/json.';

/**
 * The routes API Gateway sends to the Lambda: `LAMBDA_ROUTES` of src/lambda/router.ts, which infra
 * may not import (lambda/ sits above infra/, docs/ARCHITECTURE.md); api-stack.test.ts holds the two
 * lists equal. Every method needs the API key and goes to the Lambda through the proxy integration.
 */
export const API_ROUTES: ReadonlyArray<{ method: 'GET' | 'POST'; path: string }> = [
  { method: 'POST', path: '/invoke' },
  { method: 'GET', path: '/sessions' },
  { method: 'GET', path: '/sessions/{session_id}' },
  { method: 'GET', path: '/sessions/{session_id}/events' },
  { method: 'GET', path: '/sessions/{session_id}/files' },
  { method: 'POST', path: '/sessions/{session_id}/cancel' },
  { method: 'POST', path: '/sessions/{session_id}/permissions/{request_id}' },
];

/**
 * Headers a browser may send: the API key, the body's type, a bearer token, the session header,
 * `Last-Event-ID` (the events route resumes by it) and `Prefer` (respond-async): the same list the
 * local gateway and the Lambda's own preflights answer with.
 */
export const CORS_HEADERS = [...CORS_ALLOW_HEADERS];

/**
 * The API (`API_ROUTES`: `POST /invoke` and the session routes), its key and usage plan.
 * @example const { api, apiKey } = new AgentRestApi(this, 'Api', { handler: fn });
 */
export class AgentRestApi extends Construct {
  readonly api: apigw.RestApi;
  readonly apiKey: apigw.IApiKey;
  readonly usagePlan: apigw.UsagePlan;

  constructor(scope: Construct, id: string, props: AgentRestApiProps) {
    super(scope, id);
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const origins = props.corsOrigins ?? apigw.Cors.ALL_ORIGINS;
    this.api = new apigw.RestApi(this, 'Api', {
      description: 'claude-code-agent: Claude Code as a headless coding agent on Amazon Bedrock AgentCore',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      apiKeySourceType: apigw.ApiKeySourceType.HEADER,
      // API Gateway writes logs only once the account has a CloudWatch role: create it, keep it.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: 'prod',
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // Request and response bodies hold prompts and results: never copied to execution logs.
        dataTraceEnabled: false,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      },
      defaultMethodOptions: { apiKeyRequired: true },
      defaultCorsPreflightOptions: { allowOrigins: origins, allowMethods: ['GET', 'POST', 'OPTIONS'], allowHeaders: CORS_HEADERS },
    });
    // RestApi adds an "Endpoint" output of the stage URL; the stack's outputs are a contract of their own.
    this.api.node.tryRemoveChild('Endpoint');
    // API Gateway's own errors (403 bad key, 429 throttled or over quota) must be readable by a
    // browser too; their bodies stay API Gateway's ({"message":"Forbidden"}, ...), as the seed's.
    const cors = { 'Access-Control-Allow-Origin': `'${origins[0] ?? '*'}'` };
    for (const type of [apigw.ResponseType.DEFAULT_4XX, apigw.ResponseType.DEFAULT_5XX]) {
      this.api.addGatewayResponse(`Cors${type.responseType}`, { type, responseHeaders: cors });
    }
    // The body validator's default answer ("Invalid request body") does not say how to fix it.
    this.api.addGatewayResponse('InvalidBody', {
      type: apigw.ResponseType.BAD_REQUEST_BODY,
      statusCode: '400',
      responseHeaders: cors,
      templates: { 'application/json': JSON.stringify({ message: INVALID_BODY_MESSAGE, code: 'invalid_request' }) },
    });

    addRoutes(this.api, props.handler);

    this.apiKey = this.api.addApiKey('ApiKey', { description: 'claude-code-agent API key (x-api-key header)' });
    this.usagePlan = this.api.addUsagePlan('UsagePlan', {
      description: 'The original sample limits: 10 requests/s, burst 20, 1000 requests a day',
      throttle: { rateLimit: USAGE_PLAN.rateLimit, burstLimit: USAGE_PLAN.burstLimit },
      quota: { limit: USAGE_PLAN.quotaPerDay, period: apigw.Period.DAY },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    this.usagePlan.addApiKey(this.apiKey);

    acknowledge(this.api, {
      'AwsSolutions-APIG4':
        'Access is by API key with a usage plan, as the original sample and its clients (curl, cca api with x-api-key) expect; the Lambda then limits each key to its own sessions. OPTIONS preflight must stay open for browsers.',
      'AwsSolutions-COG4':
        'No Cognito user pool: callers are programs holding an API key (x-api-key), not signed-in users; OPTIONS preflight must stay open for browsers.',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]':
        'The account-level API Gateway logging role uses the AWS-managed policy API Gateway documents for it; it is needed for the access and execution logs.',
      'AwsSolutions-APIG3':
        'No WAF web ACL: the usage plan throttles per key (10/s, burst 20, 1000/day) and every method needs a key; a WAF adds cost the sample does not have. Add one in front if the API is exposed widely.',
    });
  }

  /** The full URL of POST /invoke (the original sample's API_ENDPOINT). */
  get invokeUrl(): string {
    return this.api.urlForPath('/invoke');
  }
}

function addRoutes(api: apigw.RestApi, handler: lambda.IFunction): void {
  const integration = new apigw.LambdaIntegration(handler, { proxy: true });
  // One validator for body and parameters: cdk-nag (APIG2) accepts only one that checks both.
  const validator = api.addRequestValidator('Validator', { validateRequestBody: true, validateRequestParameters: true });
  const invokeBody = api.addModel('InvokeRequest', {
    contentType: 'application/json',
    modelName: 'InvokeRequest',
    description: 'POST /invoke: {"prompt": "...", ...} or the AgentCore form {"input": {"prompt": "...", ...}}',
    schema: {
      schema: apigw.JsonSchemaVersion.DRAFT4,
      title: 'InvokeRequest',
      type: apigw.JsonSchemaType.OBJECT,
      properties: {
        prompt: { type: apigw.JsonSchemaType.STRING, minLength: 1 },
        input: { type: apigw.JsonSchemaType.OBJECT },
      },
      anyOf: [{ required: ['prompt'] }, { required: ['input'] }],
    },
  });
  for (const route of API_ROUTES) {
    const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
    // resourceForPath makes the parents it lacks (and reuses those it has): /sessions once for all.
    api.root.resourceForPath(route.path).addMethod(route.method, integration, {
      requestValidator: validator,
      ...(names.length === 0 ? {} : { requestParameters: Object.fromEntries(names.map((n) => [`method.request.path.${n}`, true])) }),
      ...(route.path === '/invoke' ? { requestModels: { 'application/json': invokeBody } } : {}),
    });
  }
}
