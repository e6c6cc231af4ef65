import { describe, expect, it } from 'vitest';
import { canonicalModel, costOf, priceOf, UNKNOWN_MODEL_PRICE } from './prices.js';

describe('model prices', () => {
  it('takes the provider wrapping off model ids', () => {
    expect(canonicalModel('us.anthropic.claude-haiku-4-5-20251001-v1:0')).toBe('claude-haiku-4-5-20251001');
    expect(canonicalModel('global.anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe('claude-sonnet-4-5-20250929');
    expect(canonicalModel('anthropic.claude-3-5-haiku-20241022-v1:0')).toBe('claude-3-5-haiku-20241022');
    expect(canonicalModel('arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-opus-4-1-20250805-v1:0')).toBe(
      'claude-opus-4-1-20250805',
    );
    expect(canonicalModel('claude-sonnet-4-5@20250929')).toBe('claude-sonnet-4-5-20250929');
    expect(canonicalModel('Claude-Haiku-4-5')).toBe('claude-haiku-4-5');
  });

  it("prices each family as Claude Code's table does", () => {
    expect(priceOf('claude-haiku-4-5').input).toBe(1);
    expect(priceOf('claude-3-5-haiku-20241022').output).toBe(4);
    expect(priceOf('claude-sonnet-4-5-20250929').output).toBe(15);
    expect(priceOf('claude-sonnet-4-20250514').input).toBe(3);
    expect(priceOf('claude-opus-4-20250514').input).toBe(15);
    expect(priceOf('claude-opus-4-1').input).toBe(15);
    expect(priceOf('claude-opus-4-5').input).toBe(5);
    expect(priceOf('claude-opus-4-6').output).toBe(25);
    expect(priceOf('my-gateway-alias')).toBe(UNKNOWN_MODEL_PRICE);
    expect(priceOf(undefined)).toBe(UNKNOWN_MODEL_PRICE);
  });

  it('matches what Claude Code reported for a real run (Haiku 4.5: 300,100 in, 3,020 out = $0.3152)', () => {
    expect(costOf('claude-haiku-4-5', { input_tokens: 300_100, output_tokens: 3_020 })).toBeCloseTo(0.3152, 12);
    // An unknown model at Claude Code's default rate ($4/$20): 100,100 in, 1,020 out = $0.4208.
    expect(costOf('my-gateway-model', { input_tokens: 100_100, output_tokens: 1_020 })).toBeCloseTo(0.4208, 12);
  });

  it('prices cache writes (5 minutes and 1 hour), cache reads, web searches and US-only inference', () => {
    const usage = {
      input_tokens: 1_000_000,
      output_tokens: 1_000_000,
      cache_creation_input_tokens: 3_000_000,
      cache_creation: { ephemeral_1h_input_tokens: 1_000_000 },
      cache_read_input_tokens: 10_000_000,
      server_tool_use: { web_search_requests: 3 },
    };
    // Sonnet: 3 + 15 + 2 x 3.75 + 1 x 6 + 10 x 0.3 + 0.03
    expect(costOf('claude-sonnet-4-5', usage)).toBeCloseTo(3 + 15 + 7.5 + 6 + 3 + 0.03, 9);
    expect(costOf('claude-sonnet-4-5', { ...usage, inference_geo: 'us' })).toBeCloseTo((3 + 15 + 7.5 + 6 + 3 + 0.03) * 1.1, 9);
  });

  it('uses the long-prompt rates past their threshold, and counts nothing for missing or hostile numbers', () => {
    expect(costOf('claude-haiku-5-5', { input_tokens: 100_000 })).toBeCloseTo(0.01, 12);
    expect(costOf('claude-haiku-5-5', { input_tokens: 100_001 })).toBeCloseTo(100_001 * 0.5e-6, 12);
    expect(costOf('claude-haiku-4-5', {})).toBe(0);
    expect(
      costOf('claude-haiku-4-5', { input_tokens: -5, output_tokens: Number.NaN, cache_read_input_tokens: Number.POSITIVE_INFINITY }),
    ).toBe(0);
  });
});
