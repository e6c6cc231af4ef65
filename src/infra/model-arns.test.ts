import { describe, expect, it } from 'vitest';
import { bedrockDefaultModel } from '../config/provider.js';
import { normalizeStoragePrefix, runtimeNameFor, storageKeyPrefix } from './defaults.js';
import { InfraConfigError } from './errors.js';
import { bedrockModelArns, parseModelId } from './model-arns.js';

const SCOPE = { partition: 'aws', region: 'ap-northeast-1', account: '123456789012' };

describe('parseModelId', () => {
  it('splits the geography of a cross-region inference profile from the foundation model', () => {
    expect(parseModelId('jp.anthropic.claude-haiku-4-5-20251001-v1:0')).toEqual({
      geo: 'jp',
      foundationModelId: 'anthropic.claude-haiku-4-5-20251001-v1:0',
    });
    expect(parseModelId('us-gov.anthropic.x-v1:0')).toEqual({ geo: 'us-gov', foundationModelId: 'anthropic.x-v1:0' });
    expect(parseModelId('global.anthropic.x-v1:0').geo).toBe('global');
    expect(parseModelId('anthropic.x-v1:0')).toEqual({ geo: undefined, foundationModelId: 'anthropic.x-v1:0' });
  });

  it('accepts every default model the provider picks', () => {
    for (const region of ['us-east-1', 'eu-west-1', 'ap-northeast-1', 'ap-southeast-2', 'ap-south-1', 'us-gov-west-1', 'sa-east-1']) {
      expect(parseModelId(bedrockDefaultModel(region)).geo, region).toBeDefined();
    }
  });

  it('refuses ids IAM could not scope: empty, wildcards, ARNs, spaces', () => {
    for (const bad of ['', '*', 'anthropic.*', 'arn:aws:bedrock:us-east-1:1:application-inference-profile/x', 'a b']) {
      expect(() => parseModelId(bad), bad).toThrow(InfraConfigError);
    }
  });
});

describe('bedrockModelArns', () => {
  it('names the inference profile here and its foundation model in any region', () => {
    expect(bedrockModelArns('jp.anthropic.claude-haiku-4-5-20251001-v1:0', SCOPE)).toEqual([
      'arn:aws:bedrock:ap-northeast-1:123456789012:inference-profile/jp.anthropic.claude-haiku-4-5-20251001-v1:0',
      'arn:aws:bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0',
    ]);
  });

  it('names a bare foundation model in this region only', () => {
    expect(bedrockModelArns('anthropic.claude-haiku-4-5-20251001-v1:0', SCOPE)).toEqual([
      'arn:aws:bedrock:ap-northeast-1::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0',
    ]);
  });
});

describe('names', () => {
  it('makes AgentCore runtime names out of stack names', () => {
    expect(runtimeNameFor('claude-code-agent-stack')).toBe('claude_code_agent_stack');
    expect(runtimeNameFor('1-stack')).toBe('r_1_stack');
    expect(runtimeNameFor('x'.repeat(60))).toHaveLength(48);
  });

  it('builds key prefixes as the runtime does, and refuses prefixes it would refuse', () => {
    expect(storageKeyPrefix('', 'outputs')).toBe('outputs/');
    expect(storageKeyPrefix('a/b', 'sessions')).toBe('a/b/sessions/');
    expect(normalizeStoragePrefix('/a/b/')).toBe('a/b');
    expect(normalizeStoragePrefix('')).toBe('');
    for (const bad of ['a//b', 'a/./b', '..', 'a b', 'a/*']) expect(() => normalizeStoragePrefix(bad), bad).toThrow(InfraConfigError);
  });
});
