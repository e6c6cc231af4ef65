/**
 * The role AgentCore Runtime assumes to run the container: it may invoke the one configured model,
 * write (and read back) the files it stores under `outputs/`, read and write (never delete or list)
 * a session's saved state under `sessions/`, but never its owner records (`sessions/<id>/owner.json`,
 * `owners/`: denied outright), read (list and get) what callers put under its `inputs/`
 * (`input_s3_prefix`), pull its image, write its logs, traces and metrics, and (with a gateway)
 * invoke that one AgentCore Gateway. Nothing else.
 * Session storage (the per-session mount) needs no grant: AgentCore keeps it in its own storage.
 */
import { Aws } from 'aws-cdk-lib';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { acknowledgeWildcards } from './acknowledgements.js';
import { storageKeyPrefix } from './defaults.js';
import { bedrockModelArns } from './model-arns.js';

export interface ExecutionRoleProps {
  bucket: s3.IBucket;
  /** '' or 'a/b': the runtime writes `<prefix>/outputs/...` and `<prefix>/sessions/...`. */
  storagePrefix: string;
  repository: ecr.IRepository;
  modelId: string;
  /** The one AgentCore Gateway the runtime may call (undefined: none). */
  gatewayArn?: string;
}

/** The log groups AgentCore creates for runtimes (`/aws/bedrock-agentcore/runtimes/<id>-<endpoint>`). */
export const RUNTIME_LOG_GROUPS = `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:/aws/bedrock-agentcore/runtimes/*`;

/** A statement and, when it holds a wildcard resource, why no narrower ARN exists (for cdk-nag). */
type Grant = [iam.PolicyStatement, string?];

/**
 * The execution role of the AgentCore Runtime.
 * @example const role = executionRole(this, { bucket, storagePrefix: '', repository, modelId });
 */
export function executionRole(scope: Construct, props: ExecutionRoleProps): iam.Role {
  const grants = executionGrants(props);
  const role = new iam.Role(scope, 'ExecutionRole', {
    description: 'Assumed by Amazon Bedrock AgentCore Runtime to run the claude-code-agent container',
    // Only AgentCore acting for a runtime of this account and region may assume it (confused deputy).
    assumedBy: new iam.ServicePrincipal('bedrock-agentcore.amazonaws.com', {
      conditions: {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:bedrock-agentcore:${Aws.REGION}:${Aws.ACCOUNT_ID}:*` },
      },
    }),
    inlinePolicies: { AgentRuntime: new iam.PolicyDocument({ statements: grants.map(([s]) => s) }) },
  });
  acknowledgeWildcards(role, grants);
  return role;
}

function executionGrants(props: ExecutionRoleProps): Grant[] {
  const objects = (kind: 'outputs' | 'sessions' | 'inputs' | 'owners') =>
    props.bucket.arnForObjects(`${storageKeyPrefix(props.storagePrefix, kind)}*`);
  return [
    [
      new iam.PolicyStatement({
        sid: 'InvokeConfiguredModel',
        actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        resources: bedrockModelArns(props.modelId, { partition: Aws.PARTITION, region: Aws.REGION, account: Aws.ACCOUNT_ID }),
      }),
      'Cross-region inference serves the profile from any region of its geography, so the foundation model ARN needs a region wildcard; the model itself is named exactly.',
    ],
    [
      new iam.PolicyStatement({
        sid: 'StoreOutputs',
        // GetObject: the download links the runtime presigns are only as good as its own read.
        actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [objects('outputs')],
      }),
      'Object keys are created per invocation (outputs/<stamp>_<id>/<path>); the grant is limited to the outputs/ prefix of the one bucket.',
    ],
    [
      new iam.PolicyStatement({
        sid: 'SessionState',
        // Under sessions/<id>/: state.json, events/, invocations/ (mirrored for the API Lambda),
        // lease.json (conditional PUTs with If-None-Match / If-Match) and saved/ (head.json,
        // manifests/, blobs/). Multipart uploads of large blobs need the abort; conditional writes
        // need nothing beyond PutObject. No DeleteObject (nothing is deleted) and no ListBucket: a
        // run on AgentCore can use this role, and listing would hand it every session's id (a GET
        // of a missing key then answers 403, which the runtime reads as "not there").
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
        resources: [objects('sessions')],
      }),
      'Session objects are keyed by session id (sessions/<id>/state.json, lease.json, saved/...), created at run time; read and write only (no delete, no listing), limited to the sessions/ prefix of the one bucket, its owner records denied.',
    ],
    [
      // Ownership is the API Lambda's record: the runtime (and so a run holding its credentials)
      // must never write it, whatever the Allow above covers.
      new iam.PolicyStatement({
        sid: 'NeverOwnership',
        effect: iam.Effect.DENY,
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [`${props.bucket.bucketArn}/${storageKeyPrefix(props.storagePrefix, 'sessions')}*/owner.json`, objects('owners')],
      }),
    ],
    [
      new iam.PolicyStatement({ sid: 'ReadInputs', actions: ['s3:GetObject'], resources: [objects('inputs')] }),
      'Callers put the files of input_s3_prefix under inputs/<folder>/ with keys of their choosing; read-only, limited to the inputs/ prefix of the one bucket.',
    ],
    [
      new iam.PolicyStatement({
        sid: 'ListInputs',
        actions: ['s3:ListBucket'],
        resources: [props.bucket.bucketArn],
        // Listing is a bucket action: the condition keeps it to the inputs/ prefix.
        conditions: { StringLike: { 's3:prefix': `${storageKeyPrefix(props.storagePrefix, 'inputs')}*` } },
      }),
    ],
    [
      new iam.PolicyStatement({
        sid: 'PullOwnImage',
        actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        resources: [props.repository.repositoryArn],
      }),
    ],
    [
      new iam.PolicyStatement({ sid: 'EcrToken', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
      'ecr:GetAuthorizationToken has no resource type: IAM accepts only "*" (the pull itself is limited to the repository above).',
    ],
    [
      new iam.PolicyStatement({
        sid: 'RuntimeLogGroups',
        actions: ['logs:CreateLogGroup', 'logs:DescribeLogStreams'],
        resources: [RUNTIME_LOG_GROUPS],
      }),
      'AgentCore names the log group after the runtime id and endpoint, known only after creation; limited to /aws/bedrock-agentcore/runtimes/ of this account and region.',
    ],
    [
      new iam.PolicyStatement({
        sid: 'RuntimeLogStreams',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${RUNTIME_LOG_GROUPS}:log-stream:*`],
      }),
      'Log streams are created per session microVM; limited to the runtime log groups of this account and region.',
    ],
    [
      new iam.PolicyStatement({
        sid: 'XRayTraces',
        actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
        resources: ['*'],
      }),
      'The X-Ray segment and sampling actions support no resource ARN, only "*".',
    ],
    [
      new iam.PolicyStatement({
        sid: 'RuntimeMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': 'bedrock-agentcore' } },
      }),
      'cloudwatch:PutMetricData supports no resource ARN; the cloudwatch:namespace condition limits it to bedrock-agentcore.',
    ],
    ...(props.gatewayArn === undefined
      ? []
      : [
          [
            new iam.PolicyStatement({ sid: 'InvokeGateway', actions: ['bedrock-agentcore:InvokeGateway'], resources: [props.gatewayArn] }),
          ] satisfies Grant,
        ]),
  ];
}
