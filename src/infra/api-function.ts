/**
 * The Lambda behind the REST API: validates requests (the same code as the local gateway) and
 * dispatches them to the AgentCore Runtime with InvokeAgentRuntime (and ends sessions with
 * StopRuntimeSession); reads session state in S3 (`sessions/`), records who owns a session
 * (`sessions/<id>/owner.json` and the per-key index `owners/<key>/sessions/`) and each key's runs in
 * progress (`owners/<key>/active/`, the run cap), records the end of a run it cancels for a runtime
 * that died (the invocation, its last event, the state), and presigns download links of stored
 * files (`outputs/`).
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
import { InfraConfigError } from './errors.js';

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
  /** `EVENTS_WAIT_S`: how long GET /sessions/{id}/events waits for a new event, 0-25 s (Lambda default 20). */
  eventsWaitS?: number;
  /** `KEY_MAX_CONCURRENT`: runs one API key may have in progress at once, 0 (no cap) to 1000 (Lambda default 4). */
  keyMaxConcurrent?: number;
  /** `CCA_MCP_SERVERS`: the runtime's MCP server names, so the Lambda answers an unknown `mcp_servers` name itself. */
  mcpServers?: string[];
}

/** The longest long-poll the Lambda accepts (`MAX_EVENTS_WAIT_S` of src/lambda/config.ts: under API Gateway's 29 s). */
export const MAX_EVENTS_WAIT_S = 25;
/** The largest run cap the Lambda accepts (src/lambda/config.ts). */
export const MAX_KEY_CONCURRENT = 1000;

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
      description:
        'claude-code-agent API Lambda: invoke and stop AgentCore Runtime sessions, read session state, record owners and run-cap marks, end runs of dead sessions',
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: { Dispatch: new iam.PolicyDocument({ statements: grants.map(([s]) => s) }) },
    });
    acknowledgeWildcards(this.role, grants);

    this.fn = new lambda.Function(this, 'Function', {
      description:
        'claude-code-agent API through AgentCore: POST /invoke, GET /sessions, GET /sessions/{session_id} and its events and files, POST its cancel and permission answers',
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
        ...(props.mcpServers === undefined || props.mcpServers.length === 0 ? {} : { CCA_MCP_SERVERS: props.mcpServers.join(',') }),
        ...tuning(props),
      },
    });
    acknowledge(this.fn, {
      'AwsSolutions-L1':
        'Node.js 22 on purpose: the bundle targets node22 (scripts/bundle-lambda.mjs) and the Lambda runtime is supported until 2027; move both together.',
    });
  }
}

/** The optional variables, set only when given (the Lambda has its own defaults), checked as the Lambda checks them. */
function tuning(props: ApiFunctionProps): Record<string, string> {
  const env: Record<string, string> = {};
  if (props.eventsWaitS !== undefined) {
    if (!Number.isFinite(props.eventsWaitS) || props.eventsWaitS < 0 || props.eventsWaitS > MAX_EVENTS_WAIT_S) {
      throw new InfraConfigError(`eventsWaitS must be a number of seconds from 0 to ${MAX_EVENTS_WAIT_S}; got ${props.eventsWaitS}.`);
    }
    env.EVENTS_WAIT_S = String(props.eventsWaitS);
  }
  if (props.keyMaxConcurrent !== undefined) {
    if (!Number.isInteger(props.keyMaxConcurrent) || props.keyMaxConcurrent < 0 || props.keyMaxConcurrent > MAX_KEY_CONCURRENT) {
      throw new InfraConfigError(
        `keyMaxConcurrent must be a whole number from 0 (no cap) to ${MAX_KEY_CONCURRENT}; got ${props.keyMaxConcurrent}.`,
      );
    }
    env.KEY_MAX_CONCURRENT = String(props.keyMaxConcurrent);
  }
  return env;
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
      'Session objects are keyed by session id (sessions/<id>/state.json, events/, invocations/, lease.json, owner.json), created at run time; read-only, limited to the sessions/ prefix of the one bucket.',
    ],
    [
      // The session state is the runtime's; the Lambda writes into a session's folder only who owns
      // it (created once, If-None-Match) and, when it force-cancels a session whose runtime died
      // (session-control.ts), what the runtime would have written: the invocation's record, its
      // last event segment and the state. Never leases, saves or anything else there.
      new iam.PolicyStatement({
        sid: 'WriteSessionRecords',
        actions: ['s3:PutObject'],
        resources: [
          `${bucketArn}/${sessions}*/owner.json`,
          `${bucketArn}/${sessions}*/state.json`,
          `${bucketArn}/${sessions}*/invocations/*`,
          `${bucketArn}/${sessions}*/events/*`,
        ],
      }),
      "Keyed by session id, invocation id and event id, all made at run time: a session's owner record, and the record, last event and state of a run the Lambda cancels for a dead runtime; write-only to those keys under sessions/ of the one bucket.",
    ],
    [
      // The per-key owner index (owners/<key>/sessions/...) and run-cap marks
      // (owners/<key>/active/<session id>), read back to count a key's runs in progress.
      new iam.PolicyStatement({
        sid: 'OwnerIndexAndRunMarks',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [`${bucketArn}/${owners}*`],
      }),
      'The owner index and the run-cap marks are keyed per API key id and session id (owners/<key id>/sessions/..., owners/<key id>/active/<session id>), made at run time; limited to the owners/ prefix of the one bucket.',
    ],
    [
      // A run-cap mark goes when its run has ended: the only object the Lambda ever deletes.
      new iam.PolicyStatement({ sid: 'ClearRunMarks', actions: ['s3:DeleteObject'], resources: [`${bucketArn}/${owners}*/active/*`] }),
      'Run-cap marks are keyed by API key id and session id (owners/<key id>/active/<session id>), made at run time; DeleteObject there only, never the owner index or any session object.',
    ],
    [
      // GET /sessions/{id} re-presigns the run's download links: a presigned URL is only as good as
      // its signer's own s3:GetObject.
      new iam.PolicyStatement({ sid: 'PresignDownloads', actions: ['s3:GetObject'], resources: [`${bucketArn}/${outputs}*`] }),
      'Download links are presigned per stored file (outputs/<stamp>_<id>/<path>); read-only and limited to the outputs/ prefix of the one bucket.',
    ],
    [
      // Listing a session's events and invocations, a key's sessions and its run-cap marks; also,
      // without ListBucket S3 answers 403 instead of 404 for an object that does not exist yet.
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
