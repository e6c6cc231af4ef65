/**
 * The runtime's tracing and log configuration, as AgentCore does it: vended-log deliveries of the
 * runtime resource (CloudWatch Logs `AWS::Logs::DeliverySource` → `DeliveryDestination` →
 * `Delivery`). APPLICATION_LOGS (one record per invocation) and USAGE_LOGS (each session's CPU and
 * memory) go to a log group of the stack with a retention; TRACES (AgentCore's spans of each
 * invocation) go to X-Ray, where CloudWatch Transaction Search (one switch per account and region)
 * makes them the GenAI observability pages. The container's own stdout stays where AgentCore puts it
 * (`/aws/bedrock-agentcore/runtimes/<id>-DEFAULT`, what `cca logs` reads).
 */
import { Aws, Lazy, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as xray from 'aws-cdk-lib/aws-xray';
import { Construct, type IConstruct } from 'constructs';
import { RUNTIME_LOG_RETENTION } from './defaults.js';

/** The log types of an AgentCore runtime that go to CloudWatch Logs. */
export const RUNTIME_LOG_TYPES = ['APPLICATION_LOGS', 'USAGE_LOGS'] as const;

/** Delivery names are `[\w-]{1,60}`, unique in the account and region. */
const NAME_LENGTH = 60;

/**
 * The log group of the runtime's vended logs: under `/aws/vendedlogs/`, where same-account delivery
 * needs no CloudWatch Logs resource policy (an account has ten of those; none is spent here).
 * @example runtimeLogGroupName('claude-code-agent-stack') // '/aws/vendedlogs/bedrock-agentcore/claude-code-agent-stack/runtime'
 */
export function runtimeLogGroupName(stackName: string): string {
  return `/aws/vendedlogs/bedrock-agentcore/${stackName}/runtime`;
}

/**
 * Delivers the runtime's application and usage logs to a log group and its traces to X-Ray.
 * @example const { logGroup } = new RuntimeObservability(this, 'Observability', { runtimeArn, stackName });
 */
export class RuntimeObservability extends Construct {
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: { runtimeArn: string; stackName: string }) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: runtimeLogGroupName(props.stackName),
      retention: RUNTIME_LOG_RETENTION,
      // The name is fixed (it must start with /aws/vendedlogs/): a group kept after `cca destroy`
      // would make the next deploy of the same stack fail on "already exists".
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const logType of RUNTIME_LOG_TYPES) {
      const destination: logs.CfnDeliveryDestination = new logs.CfnDeliveryDestination(this, `${pascal(logType)}Destination`, {
        name: uniqueName(() => destination),
        deliveryDestinationType: 'CWL',
        destinationResourceArn: this.logGroup.logGroupArn,
      });
      this.#deliver(logType, props.runtimeArn, destination);
    }
    const traces: logs.CfnDeliveryDestination = new logs.CfnDeliveryDestination(this, 'TracesDestination', {
      name: uniqueName(() => traces),
      deliveryDestinationType: 'XRAY',
    });
    // The delivery must not start before X-Ray accepts it.
    traces.addResourceDependency(this.#xrayPolicy(props.runtimeArn));
    this.#deliver('TRACES', props.runtimeArn, traces);
  }

  #deliver(logType: string, runtimeArn: string, destination: logs.CfnDeliveryDestination): void {
    const source: logs.CfnDeliverySource = new logs.CfnDeliverySource(this, `${pascal(logType)}Source`, {
      name: uniqueName(() => source),
      logType,
      resourceArn: runtimeArn,
    });
    // Ref and GetAtt: CloudFormation creates the source and the destination before the delivery.
    new logs.CfnDelivery(this, `${pascal(logType)}Delivery`, {
      deliverySourceName: source.ref,
      deliveryDestinationArn: destination.attrArn,
    });
  }

  /**
   * X-Ray accepts the delivered spans only under a resource policy; this one lets the log delivery
   * service write the spans of this runtime, for this account, and nothing else.
   */
  #xrayPolicy(runtimeArn: string): xray.CfnResourcePolicy {
    const stack = Stack.of(this);
    const policy: xray.CfnResourcePolicy = new xray.CfnResourcePolicy(this, 'TracesPolicy', {
      policyName: uniqueName(() => policy, 128),
      policyDocument: stack.toJsonString({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'RuntimeTraceDelivery',
            Effect: 'Allow',
            Principal: { Service: 'delivery.logs.amazonaws.com' },
            Action: 'xray:PutTraceSegments',
            Resource: '*',
            Condition: {
              'ForAllValues:ArnLike': { 'logs:LogGeneratingResourceArns': [runtimeArn] },
              StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
              ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:delivery-source:*` },
            },
          },
        ],
      }),
    });
    return policy;
  }
}

/** A name made from the resource's path (stack included) once it exists, as aws-cdk-lib names its own deliveries. */
function uniqueName(resource: () => IConstruct, maxLength = NAME_LENGTH): string {
  return Lazy.string({ produce: () => Names.uniqueResourceName(resource(), { maxLength }) });
}

function pascal(logType: string): string {
  return logType
    .toLowerCase()
    .split('_')
    .map((w) => `${w.charAt(0).toUpperCase()}${w.slice(1)}`)
    .join('');
}
