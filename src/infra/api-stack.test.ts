import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { flatten } from './acknowledgements.js';
import { defaultLambdaCodeDir } from './api-function.js';
import { ApiStack } from './api-stack.js';
import { buildApp, stacksOf } from './app.js';
import { LAMBDA_ROUTES } from '../lambda/router.js';
import { API_OUTPUTS } from './defaults.js';
import { API_ROUTES, INVALID_BODY_MESSAGE } from './rest-api.js';

// A stand-in for dist/lambda (tests never write under src/ or dist/).
const lambdaCodeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-lambda-'));
fs.writeFileSync(path.join(lambdaCodeDir, 'index.mjs'), 'export const handler = async () => ({ statusCode: 200, body: "{}" });\n');
afterAll(() => fs.rmSync(lambdaCodeDir, { recursive: true, force: true }));

const RUNTIME_ARN = 'arn:aws:bedrock-agentcore:ap-northeast-1:123456789012:runtime/claude_code_agent_stack-AbCdEf1234';

function apiTemplate(props: Partial<ConstructorParameters<typeof ApiStack>[2]> = {}): { stack: ApiStack; template: Template } {
  const stack = new ApiStack(new App(), 'Api', { runtimeArn: RUNTIME_ARN, bucketName: 'cca-bucket', lambdaCodeDir, ...props });
  return { stack, template: Template.fromStack(stack) };
}

function only(template: Template, type: string): { id: string; resource: Record<string, any> } {
  const found = Object.entries(template.findResources(type));
  expect(found, type).toHaveLength(1);
  const [id, resource] = found[0]!;
  return { id, resource };
}

function statements(policyDocument: { Statement: Array<Record<string, unknown>> }): Array<Record<string, unknown>> {
  return policyDocument.Statement.map((s) => ({ ...s, Action: [s.Action].flat(), Resource: [s.Resource].flat().map((r) => flatten(r)) }));
}

describe('ApiStack: Lambda', () => {
  const { template, stack } = apiTemplate();
  const fn = only(template, 'AWS::Lambda::Function').resource;

  it('runs the bundled handler on Node.js 22, arm64, 900 s, 512 MB, logging to its own group', () => {
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 900,
      MemorySize: 512,
      Handler: 'index.handler',
    });
  });

  it('has exactly the environment the handler reads', () => {
    expect(fn.Properties.Environment.Variables).toEqual({
      RUNTIME_ARN,
      BUCKET: 'cca-bucket',
      STORAGE_PREFIX: '',
      AGENTCORE_QUALIFIER: 'DEFAULT',
    });
  });

  it('sets EVENTS_WAIT_S and KEY_MAX_CONCURRENT only when given, and refuses what the Lambda would refuse', () => {
    const env = (props: Partial<ConstructorParameters<typeof ApiStack>[2]>) =>
      only(apiTemplate(props).template, 'AWS::Lambda::Function').resource.Properties.Environment.Variables;
    expect(env({ eventsWaitS: 5, keyMaxConcurrent: 0 })).toMatchObject({ EVENTS_WAIT_S: '5', KEY_MAX_CONCURRENT: '0' });
    expect(env({ eventsWaitS: 0.5 })).toMatchObject({ EVENTS_WAIT_S: '0.5' });
    expect(env({ eventsWaitS: 0.5 }).KEY_MAX_CONCURRENT).toBeUndefined();
    for (const eventsWaitS of [-1, 26, Number.NaN]) {
      expect(() => apiTemplate({ eventsWaitS }), String(eventsWaitS)).toThrow(/eventsWaitS must be a number of seconds from 0 to 25/);
    }
    for (const keyMaxConcurrent of [-1, 1.5, 1001]) {
      expect(() => apiTemplate({ keyMaxConcurrent }), String(keyMaxConcurrent)).toThrow(/keyMaxConcurrent must be a whole number from 0/);
    }
  });

  it("describes itself with the routes it serves, within Lambda's 256 characters", () => {
    const description = fn.Properties.Description as string;
    expect(description.length).toBeLessThanOrEqual(256);
    for (const part of ['POST /invoke', 'GET /sessions', 'GET /sessions/{session_id}', 'events', 'files', 'cancel', 'permission']) {
      expect(description).toContain(part);
    }
  });

  it('keeps its logs a month, in a log group of its own, and its code comes from the asset directory', () => {
    const groups = template.findResources('AWS::Logs::LogGroup');
    const fnGroup = Object.entries(groups).find(([id]) => id.startsWith('DispatchLogs'))!;
    expect(fnGroup[1].Properties.RetentionInDays).toBe(30);
    expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: fnGroup[0] } });
    expect(fn.Properties.Code.S3Key).toMatch(/\.zip$/);
    expect(stack.function.fn.runtime.name).toBe('nodejs22.x');
    expect(defaultLambdaCodeDir()).toBe(path.resolve(import.meta.dirname, '../../dist/lambda'));
  });

  it('ships only index.mjs, not the tsc output that shares dist/lambda (index.js would win over index.mjs)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-lambda-mixed-'));
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-asset-'));
    try {
      fs.writeFileSync(path.join(dir, 'index.mjs'), 'export const handler = async () => ({});\n');
      for (const f of ['index.js', 'index.js.map', 'handler.js', 'config.js']) fs.writeFileSync(path.join(dir, f), '// tsc output\n');
      const app = new App({ outdir });
      const stack = new ApiStack(app, 'Mixed', { runtimeArn: RUNTIME_ARN, bucketName: 'cca-bucket', lambdaCodeDir: dir });
      const key = only(Template.fromStack(stack), 'AWS::Lambda::Function').resource.Properties.Code.S3Key as string;
      const staged = path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
      expect(fs.readdirSync(staged)).toEqual(['index.mjs']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('refuses to build without the bundle, saying how to make it', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-nolambda-'));
    try {
      expect(() => apiTemplate({ lambdaCodeDir: empty })).toThrow(/index\.mjs is missing: run "npm run build"/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

/** The Lambda's one role's statements, flattened. */
function lambdaStatements(template: Template): Array<Record<string, unknown>> {
  const roles = template.findResources('AWS::IAM::Role', {
    Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] } },
  });
  expect(Object.keys(roles)).toHaveLength(1);
  const [role] = Object.values(roles);
  expect(role!.Properties.ManagedPolicyArns).toBeUndefined();
  expect(role!.Properties.Policies).toHaveLength(1);
  return statements(role!.Properties.Policies[0].PolicyDocument);
}

describe('ApiStack: Lambda role', () => {
  it('may invoke and stop sessions of the runtime only, read sessions/ and owners/, write owner records, run marks and the end of a cancelled run, read only outputs/, write only its logs', () => {
    const { template } = apiTemplate();
    const logGroup = Object.keys(template.findResources('AWS::Logs::LogGroup')).find((id) => id.startsWith('DispatchLogs'));
    expect(lambdaStatements(template)).toEqual([
      {
        Sid: 'InvokeRuntime',
        Effect: 'Allow',
        Action: ['bedrock-agentcore:InvokeAgentRuntime'],
        Resource: [RUNTIME_ARN, `${RUNTIME_ARN}/runtime-endpoint/*`],
      },
      {
        Sid: 'StopRuntimeSession',
        Effect: 'Allow',
        Action: ['bedrock-agentcore:StopRuntimeSession'],
        Resource: [RUNTIME_ARN, `${RUNTIME_ARN}/runtime-endpoint/*`],
      },
      {
        Sid: 'ReadSessionState',
        Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: ['arn:<AWS::Partition>:s3:::cca-bucket/sessions/*'],
      },
      {
        Sid: 'WriteSessionRecords',
        Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: [
          'arn:<AWS::Partition>:s3:::cca-bucket/sessions/*/owner.json',
          'arn:<AWS::Partition>:s3:::cca-bucket/sessions/*/state.json',
          'arn:<AWS::Partition>:s3:::cca-bucket/sessions/*/invocations/*',
          'arn:<AWS::Partition>:s3:::cca-bucket/sessions/*/events/*',
        ],
      },
      {
        Sid: 'OwnerIndexAndRunMarks',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: ['arn:<AWS::Partition>:s3:::cca-bucket/owners/*'],
      },
      {
        Sid: 'ClearRunMarks',
        Effect: 'Allow',
        Action: ['s3:DeleteObject'],
        Resource: ['arn:<AWS::Partition>:s3:::cca-bucket/owners/*/active/*'],
      },
      { Sid: 'PresignDownloads', Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:<AWS::Partition>:s3:::cca-bucket/outputs/*'] },
      {
        Sid: 'ListSessionsAndOwners',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: ['arn:<AWS::Partition>:s3:::cca-bucket'],
        Condition: { StringLike: { 's3:prefix': ['sessions/*', 'owners/*'] } },
      },
      { Sid: 'OwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [`<${logGroup}.Arn>`] },
    ]);
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  it('follows the storage prefix', () => {
    const { template } = apiTemplate({ storagePrefix: 'team-a/' });
    const fn = only(template, 'AWS::Lambda::Function').resource;
    expect(fn.Properties.Environment.Variables.STORAGE_PREFIX).toBe('team-a');
    const all = lambdaStatements(template);
    const bySid = (sid: string) => all.find((s) => s.Sid === sid);
    expect(bySid('ReadSessionState')?.Resource).toEqual(['arn:<AWS::Partition>:s3:::cca-bucket/team-a/sessions/*']);
    expect(bySid('WriteSessionRecords')?.Resource).toEqual([
      'arn:<AWS::Partition>:s3:::cca-bucket/team-a/sessions/*/owner.json',
      'arn:<AWS::Partition>:s3:::cca-bucket/team-a/sessions/*/state.json',
      'arn:<AWS::Partition>:s3:::cca-bucket/team-a/sessions/*/invocations/*',
      'arn:<AWS::Partition>:s3:::cca-bucket/team-a/sessions/*/events/*',
    ]);
    expect(bySid('OwnerIndexAndRunMarks')?.Resource).toEqual(['arn:<AWS::Partition>:s3:::cca-bucket/team-a/owners/*']);
    expect(bySid('ClearRunMarks')?.Resource).toEqual(['arn:<AWS::Partition>:s3:::cca-bucket/team-a/owners/*/active/*']);
    expect(bySid('PresignDownloads')?.Resource).toEqual(['arn:<AWS::Partition>:s3:::cca-bucket/team-a/outputs/*']);
    expect(bySid('ListSessionsAndOwners')?.Condition).toEqual({ StringLike: { 's3:prefix': ['team-a/sessions/*', 'team-a/owners/*'] } });
  });

  it('never widens: no s3:* or bedrock-agentcore:*, no "*" resource, writes only owner records, run marks and a cancelled run\'s end, deletes only run marks, lists only with the prefix condition', () => {
    for (const storagePrefix of ['', 'team-a']) {
      const all = lambdaStatements(apiTemplate({ storagePrefix }).template);
      const under = storagePrefix === '' ? '' : `${storagePrefix}/`;
      const bucket = 'arn:<AWS::Partition>:s3:::cca-bucket';
      for (const statement of all) {
        expect(statement.Effect, statement.Sid as string).toBe('Allow');
        expect(statement.Action, statement.Sid as string).not.toEqual(expect.arrayContaining([expect.stringMatching(/\*/)]));
        expect(statement.Resource, statement.Sid as string).not.toContain('*');
      }
      const withAction = (action: string) => all.filter((s) => (s.Action as string[]).includes(action));
      // The session state is the runtime's: the Lambda writes who owns a session, the owner index and
      // run marks, and the end of a run it cancels for a dead runtime (never lease.json or saved/).
      expect(withAction('s3:PutObject').flatMap((s) => s.Resource as string[])).toEqual([
        `${bucket}/${under}sessions/*/owner.json`,
        `${bucket}/${under}sessions/*/state.json`,
        `${bucket}/${under}sessions/*/invocations/*`,
        `${bucket}/${under}sessions/*/events/*`,
        `${bucket}/${under}owners/*`,
      ]);
      // Deletes: exactly DeleteObject, on the run-cap marks only.
      const deleting = all.filter((s) => (s.Action as string[]).some((a) => /^s3:Delete/.test(a)));
      expect(deleting.map((s) => [s.Action, s.Resource])).toEqual([[['s3:DeleteObject'], [`${bucket}/${under}owners/*/active/*`]]]);
      expect(all.flatMap((s) => s.Action as string[]).filter((a) => /^s3:(PutObjectAcl|PutBucket|Restore|Replicate)/.test(a))).toEqual([]);
      expect(withAction('s3:GetObject').flatMap((s) => s.Resource as string[])).toEqual([
        `${bucket}/${under}sessions/*`,
        `${bucket}/${under}owners/*`,
        `${bucket}/${under}outputs/*`,
      ]);
      const listing = withAction('s3:ListBucket');
      expect(listing.map((s) => [s.Action, s.Resource, s.Condition])).toEqual([
        [['s3:ListBucket'], [bucket], { StringLike: { 's3:prefix': [`${under}sessions/*`, `${under}owners/*`] } }],
      ]);
      // Session control: exactly invoke and stop, on the one runtime and its endpoints.
      const agentcore = all.filter((s) => (s.Action as string[]).some((a) => a.startsWith('bedrock-agentcore:')));
      expect(agentcore.flatMap((s) => s.Action as string[]).sort()).toEqual([
        'bedrock-agentcore:InvokeAgentRuntime',
        'bedrock-agentcore:StopRuntimeSession',
      ]);
      for (const s of agentcore) expect(s.Resource).toEqual([RUNTIME_ARN, `${RUNTIME_ARN}/runtime-endpoint/*`]);
    }
  });

  it('has no "*" resource, no bucket creation, no CloudFront', () => {
    const json = JSON.stringify(apiTemplate().template.toJSON());
    expect(json).not.toContain('"Resource":"*"');
    expect(json).not.toContain('s3:CreateBucket');
    expect(json).not.toContain('AWS::CloudFront::');
  });
});

describe('ApiStack: REST API', () => {
  const { template } = apiTemplate();
  const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties);
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const pathOf = (resourceId: unknown): string => {
    const ref = (resourceId as { Ref?: string }).Ref;
    if (ref === undefined) return '';
    const r = resources[ref]!.Properties;
    return `${pathOf(r.ParentId)}/${r.PathPart}`;
  };
  const routes = methods.map((m) => `${m.HttpMethod} ${pathOf(m.ResourceId) || '/'}`).sort();

  it('has POST /invoke and the session routes (plus CORS preflights), through the Lambda proxy', () => {
    expect(routes).toEqual([
      'GET /sessions',
      'GET /sessions/{session_id}',
      'GET /sessions/{session_id}/events',
      'GET /sessions/{session_id}/files',
      'OPTIONS /',
      'OPTIONS /invoke',
      'OPTIONS /sessions',
      'OPTIONS /sessions/{session_id}',
      'OPTIONS /sessions/{session_id}/cancel',
      'OPTIONS /sessions/{session_id}/events',
      'OPTIONS /sessions/{session_id}/files',
      'OPTIONS /sessions/{session_id}/permissions',
      'OPTIONS /sessions/{session_id}/permissions/{request_id}',
      'POST /invoke',
      'POST /sessions/{session_id}/cancel',
      'POST /sessions/{session_id}/permissions/{request_id}',
    ]);
    const fn = only(template, 'AWS::Lambda::Function').id;
    for (const m of methods.filter((m) => m.HttpMethod !== 'OPTIONS')) {
      expect(m.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
      expect(JSON.stringify(m.Integration.Uri)).toContain(`"${fn}","Arn"`);
    }
  });

  it("routes exactly the Lambda's routes (LAMBDA_ROUTES of src/lambda/router.ts), no more, no fewer", () => {
    const lambda = LAMBDA_ROUTES.map((r) => `${r.method} ${r.path}`).sort();
    expect(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual(lambda);
    expect(routes.filter((r) => !r.startsWith('OPTIONS '))).toEqual(lambda);
  });

  it('requires the API key on every method except the browser preflight', () => {
    for (const m of methods) expect(m.ApiKeyRequired, `${m.HttpMethod} ${pathOf(m.ResourceId)}`).toBe(m.HttpMethod !== 'OPTIONS');
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      ApiKeySourceType: 'HEADER',
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
  });

  it('validates the body of POST /invoke and the path parameters of every route that has them', () => {
    const validator = only(template, 'AWS::ApiGateway::RequestValidator');
    expect(validator.resource.Properties).toMatchObject({ ValidateRequestBody: true, ValidateRequestParameters: true });
    const method = (route: string) => methods.find((m) => `${m.HttpMethod} ${pathOf(m.ResourceId)}` === route)!;
    const post = method('POST /invoke');
    const model = only(template, 'AWS::ApiGateway::Model');
    expect(post.RequestValidatorId).toEqual({ Ref: validator.id });
    expect(post.RequestModels).toEqual({ 'application/json': { Ref: model.id } });
    expect(model.resource.Properties.Schema).toMatchObject({
      type: 'object',
      properties: { prompt: { type: 'string', minLength: 1 }, input: { type: 'object' } },
      anyOf: [{ required: ['prompt'] }, { required: ['input'] }],
    });
    // The other bodies (a permission answer) are the Lambda's to read, whatever their Content-Type.
    expect(methods.filter((m) => m.RequestModels !== undefined)).toEqual([post]);
    const session = { 'method.request.path.session_id': true };
    const expected: Record<string, Record<string, boolean> | undefined> = {
      'GET /sessions': undefined,
      'GET /sessions/{session_id}': session,
      'GET /sessions/{session_id}/events': session,
      'GET /sessions/{session_id}/files': session,
      'POST /sessions/{session_id}/cancel': session,
      'POST /sessions/{session_id}/permissions/{request_id}': { ...session, 'method.request.path.request_id': true },
      'POST /invoke': undefined,
    };
    for (const [route, parameters] of Object.entries(expected)) {
      expect(method(route).RequestValidatorId, route).toEqual({ Ref: validator.id });
      expect(method(route).RequestParameters, route).toEqual(parameters);
    }
  });

  it('answers CORS preflights with the headers the API reads (x-api-key, Content-Type, Authorization, the session header, Last-Event-ID, Prefer), and CORS on its own errors', () => {
    for (const m of methods.filter((m) => m.HttpMethod === 'OPTIONS')) {
      expect(m.AuthorizationType).toBe('NONE');
      const headers = m.Integration.IntegrationResponses[0].ResponseParameters;
      expect(headers['method.response.header.Access-Control-Allow-Headers']).toBe(
        "'Content-Type,x-api-key,Authorization,X-Amzn-Bedrock-AgentCore-Runtime-Session-Id,Last-Event-ID,Prefer'",
      );
      expect(headers['method.response.header.Access-Control-Allow-Origin']).toBe("'*'");
      expect(headers['method.response.header.Access-Control-Allow-Methods']).toBe("'GET,POST,OPTIONS'");
    }
    const responses = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse')).map((r) => r.Properties);
    expect(responses.map((r) => r.ResponseType).sort()).toEqual(['BAD_REQUEST_BODY', 'DEFAULT_4XX', 'DEFAULT_5XX']);
    for (const r of responses) expect(r.ResponseParameters).toEqual({ 'gatewayresponse.header.Access-Control-Allow-Origin': "'*'" });
    // 403 Forbidden, 429 Too Many Requests / Limit Exceeded keep API Gateway's own bodies, as the seed's.
    expect(responses.find((r) => r.ResponseType === 'DEFAULT_4XX')!.ResponseTemplates).toBeUndefined();
    const badBody = responses.find((r) => r.ResponseType === 'BAD_REQUEST_BODY')!;
    expect(badBody.StatusCode).toBe('400');
    expect(JSON.parse(badBody.ResponseTemplates['application/json'])).toEqual({ message: INVALID_BODY_MESSAGE, code: 'invalid_request' });
  });

  it('restricts CORS to the given origin when told', () => {
    const { template: narrow } = apiTemplate({ corsOrigins: ['https://app.example.com'] });
    const preflight = Object.values(narrow.findResources('AWS::ApiGateway::Method')).find((m) => m.Properties.HttpMethod === 'OPTIONS')!;
    expect(
      preflight.Properties.Integration.IntegrationResponses[0].ResponseParameters['method.response.header.Access-Control-Allow-Origin'],
    ).toBe("'https://app.example.com'");
  });

  it('deploys stage prod with X-Ray tracing, JSON access logs to a log group, error-level execution logs without bodies', () => {
    const stage = only(template, 'AWS::ApiGateway::Stage').resource.Properties;
    const accessLogs = Object.keys(template.findResources('AWS::Logs::LogGroup')).find((id) => id.startsWith('RestAccessLogs'))!;
    expect(stage).toMatchObject({
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: { 'Fn::GetAtt': [accessLogs, 'Arn'] } },
      MethodSettings: [{ HttpMethod: '*', ResourcePath: '/*', LoggingLevel: 'ERROR', DataTraceEnabled: false, MetricsEnabled: true }],
    });
    expect(JSON.parse(stage.AccessLogSetting.Format as string)).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
    });
    // The account-level role API Gateway needs to write those logs at all.
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
  });

  it('has an API key and a usage plan of 10 requests/s, burst 20, 1000 a day, bound to the key and stage prod', () => {
    const key = only(template, 'AWS::ApiGateway::ApiKey');
    const plan = only(template, 'AWS::ApiGateway::UsagePlan');
    const stage = only(template, 'AWS::ApiGateway::Stage');
    const api = only(template, 'AWS::ApiGateway::RestApi');
    expect(key.resource.Properties.Enabled).toBe(true);
    expect(plan.resource.Properties).toMatchObject({
      Throttle: { RateLimit: 10, BurstLimit: 20 },
      Quota: { Limit: 1000, Period: 'DAY' },
      ApiStages: [{ ApiId: { Ref: api.id }, Stage: { Ref: stage.id } }],
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyId: { Ref: key.id },
      KeyType: 'API_KEY',
      UsagePlanId: { Ref: plan.id },
    });
  });

  it('outputs ApiEndpoint (the full POST /invoke URL), ApiKeyId, ApiId and FunctionName, nothing else', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(Object.values(API_OUTPUTS).sort());
    const api = only(template, 'AWS::ApiGateway::RestApi').id;
    const stage = only(template, 'AWS::ApiGateway::Stage').id;
    expect(flatten(outputs.ApiEndpoint!.Value)).toBe(`https://<${api}>.execute-api.ap-northeast-1.<AWS::URLSuffix>/<${stage}>/invoke`);
    expect(outputs.ApiKeyId!.Value).toEqual({ Ref: only(template, 'AWS::ApiGateway::ApiKey').id });
    expect(outputs.ApiId!.Value).toEqual({ Ref: api });
    expect(outputs.FunctionName!.Value).toEqual({ Ref: only(template, 'AWS::Lambda::Function').id });
  });
});

describe('ApiStack in the app', () => {
  it('imports the runtime ARN and bucket from the AgentStack exports and deploys after it', () => {
    const { agent, api } = stacksOf(buildApp({ api: true, lambdaCodeDir }));
    expect(api).toBeDefined();
    expect(api!.stackName).toBe('claude-code-agent-api-stack');
    expect(api!.dependencies).toContain(agent);
    const env = only(Template.fromStack(api!), 'AWS::Lambda::Function').resource.Properties.Environment.Variables;
    expect(env.RUNTIME_ARN).toEqual({ 'Fn::ImportValue': 'claude-code-agent-stack-RuntimeArn' });
    expect(env.BUCKET).toEqual({ 'Fn::ImportValue': 'claude-code-agent-stack-BucketName' });
  });

  it('cannot be built without the runtime', () => {
    expect(() => buildApp({ api: true, deployRuntime: false, lambdaCodeDir })).toThrow(/needs the runtime/);
  });
});
