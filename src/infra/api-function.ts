/**
 * The Lambda behind the REST API: validates requests (the same code as the local gateway) and
 * dispatches them to the AgentCore Runtime with InvokeAgentRuntime (and ends sessions with
 * StopRuntimeSession); reads session state in S3 (`sessions/`), records who owns a session
 * (`sessions/<id>/owner.json` and the per-key index `owners/`), and presigns download links of
 * stored files (`outputs/`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcards } from './acknowledgements.js';
import { AGENTCORE_QUALIFIER, storageKeyPrefix } from './defaults.js';

/**
 * Where `npm run build` puts the bundled handler (`<package>/dist/lambda`); the same from `src/infra`
 * (tests, tsx) and `dist/infra` (the built CLI).
 * @example Code.fromAsset(defaultLambdaCodeDir())
 */
export function defaultLambdaCodeDir(): string {
  return fileURLToPath(new URL('../../dist/lambda', import.meta.url));
}

export interface ApiFunctionProps {
  runtimeArn: string;
  bucketName: string;
  storagePrefix: string;
  /** Directory with the bundled `index.mjs` (default: dist/lambda). */
  codeDir?: string;
  logRetention?: logs.RetentionDays;
}

/**
 * The dispatch function, its log group and its role.
 * @example const { fn } = new ApiFunction(this, 'Dispatch', { runtimeArn, bucketName, storagePrefix: '' });
 */
export class ApiFunction extends Construct {
  readonly fn: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ApiFunctionProps) {
    super(scope, id);
    const codeDir = props.codeDir ?? defaultLambdaCodeDir();
    if (!fs.existsSync(path.join(codeDir, 'index.mjs'))) {
      throw new Error(`The API Lambda bundle ${path.join(codeDir, 'index.mjs')} is missing: run "npm run build" first.`);
    }
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const grants = dispatchGrants(props, this.logGroup);
    this.role = new iam.Role(this, 'Role', {
      description: 'claude-code-agent API Lambda: invoke and stop AgentCore Runtime sessions, read session state, record owners',
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: { Dispatch: new iam.PolicyDocument({ statements: grants.map(([s]) => s) }) },
    });
    acknowledgeWildcards(this.role, grants);

    this.fn = new lambda.Function(this, 'Function', {
      description: 'claude-code-agent API: POST /invoke and GET /sessions/{session_id} through AgentCore',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      // Only the bundle: `tsc` also compiles src/lambda into dist/lambda (index.js and friends, which
      // import files outside it), and the Node.js runtime would load index.js before index.mjs.
      code: lambda.Code.fromAsset(codeDir, { exclude: ['*', '!index.mjs'] }),
      timeout: Duration.seconds(900),
      memorySize: 512,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        RUNTIME_ARN: props.runtimeArn,
        BUCKET: props.bucketName,
        STORAGE_PREFIX: props.storagePrefix,
        AGENTCORE_QUALIFIER,
      },
    });
    acknowledge(this.fn, {
      'AwsSolutions-L1':
        'Node.js 22 on purpose: the bundle targets node22 (scripts/bundle-lambda.mjs) and the Lambda runtime is supported until 2027; move both together.',
    });
  }
}

function dispatchGrants(props: ApiFunctionProps, logGroup: logs.ILogGroup): Array<[iam.PolicyStatement, string?]> {
  const bucketArn = `arn:${Aws.PARTITION}:s3:::${props.bucketName}`;
  const sessions = storageKeyPrefix(props.storagePrefix, 'sessions');
  const owners = storageKeyPrefix(props.storagePrefix, 'owners');
  const outputs = storageKeyPrefix(props.storagePrefix, 'outputs');
  const runtimeAndEndpoints = [props.runtimeArn, `${props.runtimeArn}/runtime-endpoint/*`];
  return [
    [
      new iam.PolicyStatement({ sid: 'InvokeRuntime', actions: ['bedrock-agentcore:InvokeAgentRuntime'], resources: runtimeAndEndpoints }),
      'InvokeAgentRuntime is authorized on the endpoint the qualifier names (runtime-endpoint/DEFAULT, created by AgentCore); limited to the endpoints of the one runtime.',
    ],
    [
      // Ending a session (its microVM; the session storage and S3 keep its state). The call takes the
      // runtime ARN and the same qualifier as InvokeAgentRuntime, so it gets the same resources.
      new iam.PolicyStatement({
        sid: 'StopRuntimeSession',
        actions: ['bedrock-agentcore:StopRuntimeSession'],
        resources: runtimeAndEndpoints,
      }),
      'StopRuntimeSession names the runtime and the qualifier (runtime-endpoint/DEFAULT, created by AgentCore); limited to the endpoints of the one runtime.',
    ],
    [
      new iam.PolicyStatement({ sid: 'ReadSessionState', actions: ['s3:GetObject'], resources: [`${bucketArn}/${sessions}*`] }),
      'Session objects are keyed by session id (sessions/<id>/state.json, events/, invocations/, owner.json), created at run time; read-only, limited to the sessions/ prefix of the one bucket.',
    ],
    [
      // The Lambda writes no session state: only who owns a session, in the session's folder
      // (created once, If-None-Match) and in the owner's index.
      new iam.PolicyStatement({
        sid: 'RecordOwners',
        actions: ['s3:PutObject'],
        resources: [`${bucketArn}/${sessions}*/owner.json`, `${bucketArn}/${owners}*`],
      }),
      "A session's owner is recorded at sessions/<id>/owner.json and indexed per API key under owners/<key id>/, both keyed at run time; write-only to those keys of the one bucket.",
    ],
    [
      // GET /sessions/{id} re-presigns the run's download links: a presigned URL is only as good as
      // its signer's own s3:GetObject.
      new iam.PolicyStatement({ sid: 'PresignDownloads', actions: ['s3:GetObject'], resources: [`${bucketArn}/${outputs}*`] }),
      'Download links are presigned per stored file (outputs/<stamp>_<id>/<path>); read-only and limited to the outputs/ prefix of the one bucket.',
    ],
    [
      // Listing a session's events and invocations and a key's sessions; also, without ListBucket S3
      // answers 403 instead of 404 for an object that does not exist yet.
      new iam.PolicyStatement({
        sid: 'ListSessionsAndOwners',
        actions: ['s3:ListBucket'],
        resources: [bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${sessions}*`, `${owners}*`] } },
      }),
    ],
    [
      new iam.PolicyStatement({
        sid: 'OwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    ],
  ];
}
