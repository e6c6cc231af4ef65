/** CloudFormation reads: a stack's outputs, and whether it exists. */
import { DescribeStacksCommand, type CloudFormationClient, type Stack } from '@aws-sdk/client-cloudformation';

/** A stack as `cca` needs it: status and outputs by name. */
export interface StackSummary {
  name: string;
  status: string;
  outputs: Record<string, string>;
}

/**
 * Describes a stack; undefined when it does not exist (CloudFormation answers ValidationError
 * "Stack with id X does not exist"). Other errors (credentials, permissions) are thrown.
 * @example const stack = await describeStack(clients.cloudFormation, 'claude-code-agent-stack');
 */
export async function describeStack(client: CloudFormationClient, name: string): Promise<StackSummary | undefined> {
  let stack: Stack | undefined;
  try {
    stack = (await client.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (err) {
    if (isMissingStack(err)) return undefined;
    throw err;
  }
  if (stack === undefined || stack.StackStatus === 'DELETE_COMPLETE') return undefined;
  const outputs: Record<string, string> = {};
  for (const o of stack.Outputs ?? []) if (o.OutputKey && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
  return { name, status: stack.StackStatus ?? 'UNKNOWN', outputs };
}

/** CloudFormation's answer for a stack that is not there. */
export function isMissingStack(err: unknown): boolean {
  return err instanceof Error && err.name === 'ValidationError' && /does not exist/i.test(err.message);
}
