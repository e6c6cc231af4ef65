import { describe, expect, it } from 'vitest';
import { refusedCall } from './routes.js';

describe('refusedCall', () => {
  it('lets through the Bedrock calls Claude Code makes', () => {
    for (const [method, path] of [
      ['POST', '/model/us.anthropic.claude-haiku-4-5-20251001-v1:0/invoke-with-response-stream'],
      ['POST', '/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/invoke'],
      ['POST', '/model/m/count-tokens'],
      ['GET', '/inference-profiles?type=SYSTEM_DEFINED'],
      ['GET', '/inference-profiles/us.anthropic.claude-haiku-4-5-20251001-v1:0'],
    ] as const) {
      expect(refusedCall('bedrock', method, path), path).toBeUndefined();
    }
  });

  it("refuses the rest of the credential's API, and paths that climb", () => {
    for (const [method, path] of [
      ['POST', '/provisioned-model-throughput'],
      ['GET', '/inference-profiles/../provisioned-model-throughput'],
      ['GET', '/inference-profiles/%2e%2e/logging/modelinvocations'],
      ['PUT', '/logging/modelinvocations'],
      ['DELETE', '/inference-profiles/x'],
      ['POST', '/model/m/invoke/../../guardrail/g'],
      ['POST', '/model/a%2fb/invoke'],
      ['POST', '/model/a\\b/invoke'],
      // Converse's usage is not what the meter reads; Claude Code never calls it.
      ['POST', '/model/m/converse'],
      ['POST', '/model/m/converse-stream'],
    ] as const) {
      expect(refusedCall('bedrock', method, path), path).toMatch(/is not (a plain path|a call Claude Code makes)/);
    }
    expect(refusedCall('anthropic', 'POST', '/model/m/invoke')).toBeDefined();
    expect(refusedCall('bedrock', 'POST', '/v1/messages')).toBeDefined();
  });
});
