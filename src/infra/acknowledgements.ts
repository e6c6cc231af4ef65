/**
 * cdk-nag (AwsSolutions) findings accepted on purpose, each with its reason. cdk-nag 3 reads them
 * from CDK's own `Validations.of(construct).acknowledge(...)`; a finding is a rule id plus the
 * offending item, e.g. `AwsSolutions-IAM5[Resource::*]`, with references flattened as cdk-nag does.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * Records `rules` (finding id → reason) on `scope`; they cover everything under it.
 * @example acknowledge(logBucket, { 'AwsSolutions-S1': 'This is the access log bucket itself.' });
 */
export function acknowledge(scope: IConstruct, rules: Record<string, string>): void {
  Validations.of(scope).acknowledge(...Object.entries(rules).map(([id, reason]) => ({ id, reason })));
}

/**
 * Acknowledges AwsSolutions-IAM5 for each wildcard resource of the statements, with the reasons of
 * every statement that holds it ("*" of several statements gets all their reasons).
 * @example acknowledgeWildcards(role, [[xrayStatement, 'X-Ray supports no resource ARN.']]);
 */
export function acknowledgeWildcards(scope: IConstruct, grants: ReadonlyArray<readonly [iam.PolicyStatement, string?]>): void {
  const stack = Stack.of(scope);
  const reasons = new Map<string, string[]>();
  for (const [statement, why] of grants) {
    if (why === undefined) continue;
    for (const resource of statement.resources.map((r) => flatten(stack.resolve(r))).filter((r) => r.includes('*'))) {
      const id = `AwsSolutions-IAM5[Resource::${resource}]`;
      reasons.set(id, [...(reasons.get(id) ?? []), why]);
    }
  }
  acknowledge(scope, Object.fromEntries([...reasons].map(([id, why]) => [id, why.join(' ')])));
}

/**
 * A resolved CloudFormation value as cdk-nag prints it: `<Logical.Attr>`, `<Ref>`, joins concatenated.
 * @example flatten({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/outputs/*']] }) // '<Bucket.Arn>/outputs/*'
 */
export function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const o = node as Record<string, unknown>;
  if (Array.isArray(o['Fn::Join'])) {
    const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if (o['Fn::Sub'] !== undefined) return flatten(o['Fn::Sub']);
  if (Array.isArray(o['Fn::GetAtt'])) {
    const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (o['Fn::ImportValue'] !== undefined) return flatten(o['Fn::ImportValue']);
  if (o.Ref !== undefined) return `<${flatten(o.Ref)}>`;
  return JSON.stringify(node);
}
