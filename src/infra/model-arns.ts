/**
 * The Bedrock resources one model id needs: the cross-region inference profile it names and the
 * foundation model that profile routes to.
 */
import { InfraConfigError } from './errors.js';

/** Geography prefixes of Bedrock's system-defined cross-region inference profiles. */
const GEO_PREFIXES = new Set(['us', 'us-gov', 'eu', 'apac', 'jp', 'au', 'ca', 'global']);

/** A model id split into the inference profile's geography (if any) and the foundation model id. */
export interface ParsedModelId {
  /** 'jp', 'us', 'global', ...; undefined for a bare foundation model id. */
  geo: string | undefined;
  foundationModelId: string;
}

/**
 * Splits a Bedrock model id; throws on what cannot be scoped in IAM (empty, wildcards, ARNs).
 * @example parseModelId('jp.anthropic.claude-haiku-4-5-20251001-v1:0') // { geo: 'jp', foundationModelId: 'anthropic.claude-haiku-4-5-20251001-v1:0' }
 */
export function parseModelId(modelId: string): ParsedModelId {
  if (!/^[a-z0-9][a-z0-9.:_-]*$/i.test(modelId)) {
    throw new InfraConfigError(
      `modelId must be a Bedrock model id such as "jp.anthropic.claude-haiku-4-5-20251001-v1:0" (letters, digits, ".", ":", "_", "-"); got "${modelId}".`,
    );
  }
  const dot = modelId.indexOf('.');
  const head = dot === -1 ? '' : modelId.slice(0, dot);
  if (GEO_PREFIXES.has(head)) return { geo: head, foundationModelId: modelId.slice(dot + 1) };
  return { geo: undefined, foundationModelId: modelId };
}

/** Where the ARNs live; tokens (Aws.PARTITION, ...) or literals. */
export interface ArnScope {
  partition: string;
  region: string;
  account: string;
}

/**
 * The resources `bedrock:InvokeModel*` must allow for `modelId`: the inference profile in this
 * account and region plus its foundation model in every region the profile may route to (Bedrock
 * checks both); a bare foundation model id is allowed in this region only.
 * @example bedrockModelArns('jp.anthropic.x-v1:0', { partition: 'aws', region: 'ap-northeast-1', account: '1' })
 */
export function bedrockModelArns(modelId: string, scope: ArnScope): string[] {
  const { geo, foundationModelId } = parseModelId(modelId);
  const { partition, region, account } = scope;
  if (geo === undefined) return [`arn:${partition}:bedrock:${region}::foundation-model/${foundationModelId}`];
  return [
    `arn:${partition}:bedrock:${region}:${account}:inference-profile/${modelId}`,
    // Cross-region inference serves the request from any region of the geography (for a global
    // profile the ARN has an empty region), so the region cannot be named: '*' matches all of them.
    `arn:${partition}:bedrock:*::foundation-model/${foundationModelId}`,
  ];
}
