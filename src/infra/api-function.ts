/**
 * The Lambda behind the REST API: validates requests (the same code as the local gateway) and
 * dispatches them to the AgentCore Runtime with InvokeAgentRuntime; keeps session owners and reads
 * session state in S3 (`sessions/`), and presigns download links of stored files (`outputs/`).
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
      description: 'claude-code-agent API Lambda: invoke the AgentCore Runtime, read and write session state',
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
  const outputs = storageKeyPrefix(props.storagePrefix, 'outputs');
  return [
    [
      new iam.PolicyStatement({
        sid: 'InvokeRuntime',
        actions: ['bedrock-agentcore:InvokeAgentRuntime'],
        resources: [props.runtimeArn, `${props.runtimeArn}/runtime-endpoint/*`],
      }),
      'InvokeAgentRuntime is authorized on the endpoint the qualifier names (runtime-endpoint/DEFAULT, created by AgentCore); limited to the endpoints of the one runtime.',
    ],
    [
      new iam.PolicyStatement({ sid: 'SessionState', actions: ['s3:GetObject', 's3:PutObject'], resources: [`${bucketArn}/${sessions}*`] }),
      'Session state objects are keyed by session id (sessions/<id>/state.json), created at run time; limited to the sessions/ prefix of the one bucket.',
    ],
    [
      // GET /sessions/{id} re-presigns the run's download links: a presigned URL is only as good as
      // its signer's own s3:GetObject.
      new iam.PolicyStatement({ sid: 'PresignDownloads', actions: ['s3:GetObject'], resources: [`${bucketArn}/${outputs}*`] }),
      'Download links are presigned per stored file (outputs/<stamp>_<id>/<path>); read-only and limited to the outputs/ prefix of the one bucket.',
    ],
    [
      // Without ListBucket S3 answers 403 instead of 404 for a session that has no state yet.
      new iam.PolicyStatement({
        sid: 'SessionStateMissingIs404',
        actions: ['s3:ListBucket'],
        resources: [bucketArn],
        conditions: { StringLike: { 's3:prefix': `${sessions}*` } },
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
