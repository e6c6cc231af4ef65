import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { bedrockDefaultModel } from '../config/provider.js';
import { flatten } from './acknowledgements.js';
import { AgentStack } from './agent-stack.js';
import { buildApp, stacksOf } from './app.js';
import { AGENT_OUTPUTS } from './defaults.js';
import { InfraConfigError } from './errors.js';

const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';

function agentTemplate(opts: Parameters<typeof buildApp>[0] = {}): { stack: AgentStack; template: Template } {
  const { agent } = stacksOf(buildApp(opts));
  return { stack: agent, template: Template.fromStack(agent) };
}

/** The only resource of `type` (asserting there is exactly one), with its logical id. */
function only(template: Template, type: string): { id: string; resource: Record<string, any> } {
  const found = Object.entries(template.findResources(type));
  expect(found, type).toHaveLength(1);
  const [id, resource] = found[0]!;
  return { id, resource };
}

/** A policy's statements with every Resource flattened the way cdk-nag prints it. */
function statements(policyDocument: { Statement: Array<Record<string, unknown>> }): Array<Record<string, unknown>> {
  return policyDocument.Statement.map((s) => ({
    ...s,
    Action: [s.Action].flat(),
    Resource: [s.Resource].flat().map((r) => flatten(r)),
  }));
}

describe('AgentStack: artifact bucket', () => {
  const { template, stack } = agentTemplate();
  const buckets = template.findResources('AWS::S3::Bucket');
  const artifactId = Object.keys(buckets).find((id) => id.startsWith('ArtifactsBucket'))!;
  const logsId = Object.keys(buckets).find((id) => id.startsWith('ArtifactsAccessLogs'))!;

  it('is private, SSE-S3 encrypted, versioned, and logs access to the separate log bucket', () => {
    expect(Object.keys(buckets)).toHaveLength(2);
    expect(buckets[artifactId]!.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: { Ref: logsId }, LogFilePrefix: 'artifacts/' },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    expect(buckets[logsId]!.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
  });

  it('expires outputs and inputs after 30 days, never the current state of sessions (a save references blobs of any age), and aborts multipart uploads after 7', () => {
    expect(buckets[artifactId]!.Properties.LifecycleConfiguration).toEqual({
      Rules: [
        {
          Id: 'expire-outputs',
          Prefix: 'outputs/',
          Status: 'Enabled',
          ExpirationInDays: 30,
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        },
        {
          Id: 'expire-inputs',
          Prefix: 'inputs/',
          Status: 'Enabled',
          ExpirationInDays: 30,
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        },
        { Id: 'old-versions-sessions', Prefix: 'sessions/', Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 1 } },
        { Id: 'old-versions-owners', Prefix: 'owners/', Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 1 } },
        { Id: 'abort-uploads', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
      ],
    });
  });

  it('refuses plain HTTP on both buckets and lets only S3 logging write the log bucket', () => {
    for (const bucketId of [artifactId, logsId]) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logsId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Action: 's3:PutObject', Principal: { Service: 'logging.s3.amazonaws.com' } }),
        ]),
      },
    });
    expect(stack.bucket.node.id).toBe('Bucket');
  });

  it('is retained with the stack by default, with no auto-delete custom resource', () => {
    expect(buckets[artifactId]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(buckets[logsId]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  it('with emptyOnDestroy is deleted and emptied with the stack (buckets and images)', () => {
    const destroyed = agentTemplate({ emptyOnDestroy: true }).template;
    for (const bucket of Object.values(destroyed.findResources('AWS::S3::Bucket'))) {
      expect(bucket).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    }
    destroyed.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
    expect(only(destroyed, 'AWS::ECR::Repository').resource).toMatchObject({
      DeletionPolicy: 'Delete',
      Properties: { EmptyOnDelete: true },
    });
  });
});

describe('AgentStack: ECR repository', () => {
  const { template } = agentTemplate();
  const repo = only(template, 'AWS::ECR::Repository').resource;

  it('scans on push, is encrypted, and keeps the last 5 images', () => {
    expect(repo.Properties).toMatchObject({
      ImageScanningConfiguration: { ScanOnPush: true },
      EncryptionConfiguration: { EncryptionType: 'AES256' },
      ImageTagMutability: 'MUTABLE',
    });
    const policy = JSON.parse(repo.Properties.LifecyclePolicy.LifecyclePolicyText as string);
    expect(policy.rules).toEqual([
      {
        rulePriority: 1,
        description: 'Keep the last 5 images',
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 5 },
        action: { type: 'expire' },
      },
    ]);
    expect(repo).toMatchObject({ DeletionPolicy: 'Retain' });
  });
});

describe('AgentStack: AgentCore Runtime', () => {
  const { template, stack } = agentTemplate();
  const { resource: runtime } = only(template, 'AWS::BedrockAgentCore::Runtime');
  const bucketRef = stack.resolve(stack.bucket.bucketName);

  it('runs <repository uri>:latest on the public network over HTTP with the execution role', () => {
    expect(runtime.Properties.AgentRuntimeArtifact).toEqual({
      ContainerConfiguration: { ContainerUri: stack.resolve(`${stack.repository.repositoryUri}:latest`) },
    });
    expect(runtime.Properties).toMatchObject({
      AgentRuntimeName: 'claude_code_agent_stack',
      NetworkConfiguration: { NetworkMode: 'PUBLIC' },
      ProtocolConfiguration: 'HTTP',
      RoleArn: stack.resolve(stack.role.roleArn),
    });
  });

  it('ends idle sessions after 900 s and every session after 8 h', () => {
    expect(runtime.Properties.LifecycleConfiguration).toEqual({ IdleRuntimeSessionTimeout: 900, MaxLifetime: 28_800 });
  });

  it('has exactly the environment: S3 storage, the data dir on the session mount, region, Bedrock, the model (pinned for background calls too), nothing secret', () => {
    const model = bedrockDefaultModel('ap-northeast-1');
    expect(model).toBe(`jp.${HAIKU}`);
    expect(runtime.Properties.EnvironmentVariables).toEqual({
      CCA_STORAGE: { 'Fn::Join': ['', ['s3://', bucketRef]] },
      CCA_SESSIONS_BASE: '/mnt/cca',
      AWS_REGION: 'ap-northeast-1',
      CLAUDE_CODE_USE_BEDROCK: '1',
      CCA_MODEL: model,
      ANTHROPIC_DEFAULT_HAIKU_MODEL: model,
      ANTHROPIC_SMALL_FAST_MODEL: model,
    });
    expect(JSON.stringify(runtime.Properties.EnvironmentVariables)).not.toMatch(/KEY|SECRET|TOKEN|PASSWORD/i);
  });

  it('takes the image tag, model, lifecycle, storage prefix from props', () => {
    const custom = agentTemplate({ imageTag: 'v42', modelId: `us.${HAIKU}`, region: 'us-west-2', storagePrefix: 'team-a' });
    const props = only(custom.template, 'AWS::BedrockAgentCore::Runtime').resource.Properties;
    expect(flatten(props.AgentRuntimeArtifact.ContainerConfiguration.ContainerUri)).toMatch(/:v42$/);
    expect(props.EnvironmentVariables).toMatchObject({ CCA_MODEL: `us.${HAIKU}`, AWS_REGION: 'us-west-2' });
    expect(flatten(props.EnvironmentVariables.CCA_STORAGE)).toMatch(/^s3:\/\/<ArtifactsBucket\w+>\/team-a$/);

    const app = new App();
    const lifecycle = new AgentStack(app, 'L', { idleTimeoutS: 120, maxLifetimeS: 3600 });
    expect(only(Template.fromStack(lifecycle), 'AWS::BedrockAgentCore::Runtime').resource.Properties.LifecycleConfiguration).toEqual({
      IdleRuntimeSessionTimeout: 120,
      MaxLifetime: 3600,
    });
  });

  it('reads the image tag from the context imageTag when no prop is given', () => {
    const app = new App({ context: { imageTag: '20250601-abc123' } });
    const stack = new AgentStack(app, 'Ctx');
    const uri = only(Template.fromStack(stack), 'AWS::BedrockAgentCore::Runtime').resource.Properties.AgentRuntimeArtifact;
    expect(flatten(uri.ContainerConfiguration.ContainerUri)).toMatch(/:20250601-abc123$/);
  });

  it('refuses values AgentCore or Docker would refuse, before anything is deployed', () => {
    const make = (props: ConstructorParameters<typeof AgentStack>[2]) => () => new AgentStack(new App(), 'X', props);
    expect(make({ imageTag: 'bad tag' })).toThrow(InfraConfigError);
    expect(make({ idleTimeoutS: 30 })).toThrow(/idleTimeoutS must be an integer from 60 to 28800/);
    expect(make({ maxLifetimeS: 28_801 })).toThrow(InfraConfigError);
    expect(make({ idleTimeoutS: 3600, maxLifetimeS: 600 })).toThrow(/cannot exceed/);
    expect(make({ modelId: 'anthropic.*' })).toThrow(InfraConfigError);
    expect(make({ env: { region: 'tokyo' } })).toThrow(/region must be an AWS region/);
    expect(make({ storagePrefix: 'a/../b' })).toThrow(InfraConfigError);
    expect(make({ runtimeName: 'has-hyphen' })).toThrow(/runtimeName/);
  });
});

describe('AgentStack: session storage', () => {
  const runtimeProps = (template: Template) => only(template, 'AWS::BedrockAgentCore::Runtime').resource.Properties;

  it('mounts AgentCore session storage at /mnt/cca by default (the CfnRuntime property, no override)', () => {
    const { template, stack } = agentTemplate();
    expect(runtimeProps(template).FilesystemConfigurations).toEqual([{ SessionStorage: { MountPath: '/mnt/cca' } }]);
    // A typed L1 property: nothing is patched into the template behind the construct's back.
    expect(stack.runtime!.filesystemConfigurations).toEqual([{ sessionStorage: { mountPath: '/mnt/cca' } }]);
    expect(JSON.stringify(stack.runtime!.node.metadata)).not.toContain('override');
  });

  it('puts the sessions (workspaces, transcripts, git records) on the mount and leaves the data dir, opened at start-up before any mount, in the image', () => {
    const props = runtimeProps(agentTemplate().template);
    const mount = props.FilesystemConfigurations[0].SessionStorage.MountPath as string;
    expect(props.EnvironmentVariables.CCA_SESSIONS_BASE).toBe(mount);
    expect(props.EnvironmentVariables.CCA_DATA_DIR).toBeUndefined();
  });

  it('needs no grant: the execution role has no EFS, S3 Files or VPC actions, and the runtime stays on the public network', () => {
    const { template } = agentTemplate();
    expect(JSON.stringify(template.toJSON())).not.toMatch(/elasticfilesystem:|s3files:|ec2:/);
    expect(runtimeProps(template).NetworkConfiguration).toEqual({ NetworkMode: 'PUBLIC' });
  });

  it('follows sessionMountPath, and refuses mount paths AgentCore would refuse', () => {
    const custom = new AgentStack(new App(), 'M', { sessionMountPath: '/mnt/work/' });
    const props = runtimeProps(Template.fromStack(custom));
    expect(props.FilesystemConfigurations).toEqual([{ SessionStorage: { MountPath: '/mnt/work' } }]);
    expect(props.EnvironmentVariables.CCA_SESSIONS_BASE).toBe('/mnt/work');
    for (const bad of ['/data', '/mnt', '/mnt/', '/mnt/a/b', '/mnt/..', '/mnt/has space', 'mnt/x', `/mnt/${'x'.repeat(200)}`]) {
      expect(() => new AgentStack(new App(), 'X', { sessionMountPath: bad }), bad).toThrow(
        /sessionMountPath must be one directory under \/mnt/,
      );
    }
  });

  it("is turned off by sessionStorage: false or the context sessionStorage=false: no mount, and the image's data dir", () => {
    const off = [
      agentTemplate({ sessionStorage: false }),
      { template: Template.fromStack(new AgentStack(new App({ context: { sessionStorage: 'false' } }), 'Ctx')) },
    ];
    for (const { template } of off) {
      const props = runtimeProps(template);
      expect(props.FilesystemConfigurations).toBeUndefined();
      expect(props.EnvironmentVariables.CCA_SESSIONS_BASE).toBeUndefined();
      // The S3 path does not depend on the mount: its grants stay.
      const sids = statements(only(template, 'AWS::IAM::Role').resource.Properties.Policies[0].PolicyDocument).map((s) => s.Sid);
      expect(sids).toEqual(expect.arrayContaining(['SessionState', 'NeverOwnership']));
    }
    expect(new AgentStack(new App({ context: { sessionStorage: 'true' } }), 'On').sessionStorage?.mountPath).toBe('/mnt/cca');
  });

  it('outlives the lifecycle it is configured with: idle timeout and maximum lifetime end microVMs, not the mount', () => {
    const props = runtimeProps(agentTemplate().template);
    // AgentCore keeps session storage until 14 days without an invocation: far beyond both limits.
    expect(props.LifecycleConfiguration.MaxLifetime).toBeLessThan(14 * 86_400);
    expect(props.LifecycleConfiguration.IdleRuntimeSessionTimeout).toBeLessThanOrEqual(props.LifecycleConfiguration.MaxLifetime);
  });
});

describe('AgentStack: execution role', () => {
  const { template } = agentTemplate();
  const { resource: role } = only(template, 'AWS::IAM::Role');

  it('can be assumed only by bedrock-agentcore.amazonaws.com for this account and its runtimes in this region', () => {
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'bedrock-agentcore.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':bedrock-agentcore:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':*'],
              ],
            },
          },
        },
      },
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('has exactly the least-privilege statements (actions and resources)', () => {
    expect(role.Properties.Policies).toHaveLength(1);
    const bucket = Object.keys(template.findResources('AWS::S3::Bucket')).find((id) => id.startsWith('ArtifactsBucket'))!;
    const repo = only(template, 'AWS::ECR::Repository').id;
    const logs = 'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/bedrock-agentcore/runtimes/*';
    expect(statements(role.Properties.Policies[0].PolicyDocument)).toEqual([
      {
        Sid: 'InvokeConfiguredModel',
        Effect: 'Allow',
        Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        Resource: [
          `arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/jp.${HAIKU}`,
          `arn:<AWS::Partition>:bedrock:*::foundation-model/${HAIKU}`,
        ],
      },
      {
        Sid: 'StoreOutputs',
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: [`<${bucket}.Arn>/outputs/*`],
      },
      // Session state, leases and saves: read and write below sessions/ only; no delete, no listing
      // (a run can use this role, and a listing would hand it every session id).
      {
        Sid: 'SessionState',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
        Resource: [`<${bucket}.Arn>/sessions/*`],
      },
      // Ownership records are the API Lambda's: denied whatever the Allow above covers.
      {
        Sid: 'NeverOwnership',
        Effect: 'Deny',
        Action: ['s3:PutObject', 's3:DeleteObject'],
        Resource: [`<${bucket}.Arn>/sessions/*/owner.json`, `<${bucket}.Arn>/owners/*`],
      },
      // input_s3_prefix: get and list only below inputs/.
      { Sid: 'ReadInputs', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`<${bucket}.Arn>/inputs/*`] },
      {
        Sid: 'ListInputs',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [`<${bucket}.Arn>`],
        Condition: { StringLike: { 's3:prefix': 'inputs/*' } },
      },
      { Sid: 'PullOwnImage', Effect: 'Allow', Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], Resource: [`<${repo}.Arn>`] },
      { Sid: 'EcrToken', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: ['*'] },
      { Sid: 'RuntimeLogGroups', Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:DescribeLogStreams'], Resource: [logs] },
      {
        Sid: 'RuntimeLogStreams',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [`${logs}:log-stream:*`],
      },
      {
        Sid: 'XRayTraces',
        Effect: 'Allow',
        Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
        Resource: ['*'],
      },
      {
        Sid: 'RuntimeMetrics',
        Effect: 'Allow',
        Action: ['cloudwatch:PutMetricData'],
        Resource: ['*'],
        Condition: { StringEquals: { 'cloudwatch:namespace': 'bedrock-agentcore' } },
      },
    ]);
  });

  it('uses "*" only where IAM allows nothing narrower, and never grants bucket creation or admin actions', () => {
    const wildcard = statements(role.Properties.Policies[0].PolicyDocument).filter((s) => (s.Resource as string[]).includes('*'));
    expect(wildcard.map((s) => s.Sid)).toEqual(['EcrToken', 'XRayTraces', 'RuntimeMetrics']);
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toContain('s3:CreateBucket');
    expect(json).not.toContain('AWS::CloudFront::');
    const actions = statements(role.Properties.Policies[0].PolicyDocument).flatMap((s) => s.Action as string[]);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
  });

  it('follows the storage prefix: only <prefix>/outputs/* and <prefix>/sessions/*, and reads only <prefix>/inputs/*', () => {
    const { template: prefixed } = agentTemplate({ storagePrefix: '/team-a/' });
    const all = statements(only(prefixed, 'AWS::IAM::Role').resource.Properties.Policies[0].PolicyDocument);
    const bySid = (sid: string) => all.find((s) => s.Sid === sid);
    expect(bySid('StoreOutputs')?.Resource).toEqual([expect.stringMatching(/>\/team-a\/outputs\/\*$/)]);
    expect(bySid('SessionState')?.Resource).toEqual([expect.stringMatching(/>\/team-a\/sessions\/\*$/)]);
    expect(bySid('NeverOwnership')?.Resource).toEqual([
      expect.stringMatching(/^<ArtifactsBucket\w+\.Arn>\/team-a\/sessions\/\*\/owner\.json$/),
      expect.stringMatching(/^<ArtifactsBucket\w+\.Arn>\/team-a\/owners\/\*$/),
    ]);
    expect(bySid('ReadInputs')?.Resource).toEqual([expect.stringMatching(/>\/team-a\/inputs\/\*$/)]);
    expect(bySid('ListInputs')?.Condition).toEqual({ StringLike: { 's3:prefix': 'team-a/inputs/*' } });
  });

  it('never widens its S3 grants: no s3:* or "*" resource, deletes nothing, lists only inputs/ with a prefix condition, never writes ownership', () => {
    for (const storagePrefix of ['', 'team-a']) {
      const { template } = agentTemplate({ storagePrefix });
      const all = statements(only(template, 'AWS::IAM::Role').resource.Properties.Policies[0].PolicyDocument);
      const s3 = all.filter((s) => (s.Action as string[]).some((a) => a.startsWith('s3:')));
      const allowed = s3.filter((s) => s.Effect === 'Allow');
      const under = storagePrefix === '' ? '' : `${storagePrefix}/`;
      for (const statement of allowed) {
        expect(statement.Action, statement.Sid as string).not.toContain('s3:*');
        expect(statement.Resource, statement.Sid as string).not.toContain('*');
        // Objects: one of the three prefixes, never the whole bucket (`<bucket>/*`) nor owners/.
        for (const resource of statement.Resource as string[]) {
          expect(resource, statement.Sid as string).toMatch(
            new RegExp(`^<ArtifactsBucket\\w+\\.Arn>(/${under}(outputs|sessions|inputs)/\\*)?$`),
          );
        }
      }
      // Nothing is deleted: no Allow of any s3:Delete* action, anywhere.
      expect(allowed.flatMap((s) => s.Action as string[]).filter((a) => a.startsWith('s3:Delete'))).toEqual([]);
      // Session objects: read and write only, no listing of sessions/.
      expect(allowed.filter((s) => (s.Resource as string[]).some((r) => r.includes(`/${under}sessions/`))).map((s) => s.Action)).toEqual([
        ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
      ]);
      const listing = allowed.filter((s) => (s.Action as string[]).includes('s3:ListBucket'));
      expect(listing.map((s) => s.Condition)).toEqual([{ StringLike: { 's3:prefix': `${under}inputs/*` } }]);
      for (const statement of listing) expect(statement.Action).toEqual(['s3:ListBucket']);
      // The one Deny: ownership records, unconditionally.
      expect(all.filter((s) => s.Effect !== 'Allow')).toEqual([
        {
          Sid: 'NeverOwnership',
          Effect: 'Deny',
          Action: ['s3:PutObject', 's3:DeleteObject'],
          Resource: [
            expect.stringMatching(new RegExp(`^<ArtifactsBucket\\w+\\.Arn>/${under}sessions/\\*/owner\\.json$`)),
            expect.stringMatching(new RegExp(`^<ArtifactsBucket\\w+\\.Arn>/${under}owners/\\*$`)),
          ],
        },
      ]);
    }
  });
});

describe('AgentStack: outputs and phases', () => {
  it('outputs exactly the names the CLI reads', () => {
    const { template, stack } = agentTemplate();
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown; Export?: { Name: string } }>;
    expect(Object.keys(outputs).sort()).toEqual(Object.values(AGENT_OUTPUTS).sort());
    expect(outputs.ModelId!.Value).toBe(`jp.${HAIKU}`);
    expect(outputs.Region!.Value).toBe('ap-northeast-1');
    expect(outputs.RuntimeArn!.Value).toEqual({ 'Fn::GetAtt': ['Runtime', 'AgentRuntimeArn'] });
    expect(outputs.RuntimeId!.Value).toEqual({ 'Fn::GetAtt': ['Runtime', 'AgentRuntimeId'] });
    expect(outputs.BucketName!.Value).toEqual(stack.resolve(stack.bucket.bucketName));
    expect(outputs.RepositoryName!.Value).toEqual(stack.resolve(stack.repository.repositoryName));
    expect(outputs.RepositoryUri!.Value).toEqual(stack.resolve(stack.repository.repositoryUri));
    expect(outputs.RoleArn!.Value).toEqual(stack.resolve(stack.role.roleArn));
    // The two values the ApiStack imports, under names that say where they come from.
    expect(outputs.RuntimeArn!.Export).toEqual({ Name: 'claude-code-agent-stack-RuntimeArn' });
    expect(outputs.BucketName!.Export).toEqual({ Name: 'claude-code-agent-stack-BucketName' });
  });

  it('deployRuntime: false has the bucket, the repository and the role, and no runtime', () => {
    const { template, stack } = agentTemplate({ deployRuntime: false });
    template.resourceCountIs('AWS::BedrockAgentCore::Runtime', 0);
    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.resourceCountIs('AWS::ECR::Repository', 1);
    template.resourceCountIs('AWS::IAM::Role', 1);
    const outputs = Object.keys(template.toJSON().Outputs as object).sort();
    expect(outputs).toEqual(['BucketName', 'ModelId', 'Region', 'RepositoryName', 'RepositoryUri', 'RoleArn']);
    expect(stack.runtime).toBeUndefined();
    expect(() => stack.apiInputs()).toThrow(/no runtime/);
  });

  it('is named claude-code-agent-stack in ap-northeast-1 unless told otherwise', () => {
    const { stack } = agentTemplate();
    expect(stack.stackName).toBe('claude-code-agent-stack');
    expect(stack.region).toBe('ap-northeast-1');
    const other = stacksOf(buildApp({ stackName: 'my-agent', region: 'eu-central-1', account: '123456789012' })).agent;
    expect([other.stackName, other.region, other.account]).toEqual(['my-agent', 'eu-central-1', '123456789012']);
    expect(only(Template.fromStack(other), 'AWS::BedrockAgentCore::Runtime').resource.Properties.AgentRuntimeName).toBe('my_agent');
    expect(Stack.isStack(other)).toBe(true);
  });
});

describe('AgentStack in another region', () => {
  it.each([
    ['us-east-1', 'us'],
    ['eu-west-1', 'eu'],
    ['ap-southeast-2', 'au'],
    ['ap-south-1', 'apac'],
  ])('%s: the default model and the role follow the region\'s "%s." inference profile', (region, geo) => {
    const { template } = agentTemplate({ region });
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.ModelId!.Value).toBe(`${geo}.${HAIKU}`);
    expect(outputs.Region!.Value).toBe(region);
    const runtime = only(template, 'AWS::BedrockAgentCore::Runtime').resource.Properties;
    expect(runtime.EnvironmentVariables).toMatchObject({ AWS_REGION: region, CCA_MODEL: `${geo}.${HAIKU}` });
    const invoke = statements(only(template, 'AWS::IAM::Role').resource.Properties.Policies[0].PolicyDocument)[0]!;
    expect(invoke.Resource).toEqual([
      `arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/${geo}.${HAIKU}`,
      `arn:<AWS::Partition>:bedrock:*::foundation-model/${HAIKU}`,
    ]);
  });

  it('a bare foundation model id is allowed in the stack region only', () => {
    const { template } = agentTemplate({ region: 'us-east-1', modelId: HAIKU });
    const invoke = statements(only(template, 'AWS::IAM::Role').resource.Properties.Policies[0].PolicyDocument)[0]!;
    expect(invoke.Resource).toEqual([`arn:<AWS::Partition>:bedrock:<AWS::Region>::foundation-model/${HAIKU}`]);
  });
});
