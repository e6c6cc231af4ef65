/**
 * The model variables a brokered run gets: where the broker is, with the run's token, and the
 * choices that are not secrets (default models, timeouts). No key, token, AWS credential or
 * custom header of the operator's.
 */
import type { ProviderConfig } from '../config/index.js';

/** Variables that choose models or timeouts: safe for a run to see. */
const CHOICES = [
  'ANTHROPIC_DEFAULT_HAIKU_MODEL',
  'ANTHROPIC_DEFAULT_SONNET_MODEL',
  'ANTHROPIC_DEFAULT_OPUS_MODEL',
  'ANTHROPIC_SMALL_FAST_MODEL',
  'API_TIMEOUT_MS',
];

/**
 * The provider environment of a run whose model requests go to `baseUrl` (which carries the token).
 * @example brokeredEnv(provider, 'http://127.0.0.1:3128/cca-run/cca-run-abc', 'cca-run-abc')
 */
export function brokeredEnv(provider: ProviderConfig, baseUrl: string, token: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of CHOICES) {
    const value = provider.env[name];
    if (value !== undefined) env[name] = value;
  }
  if (provider.kind === 'bedrock') {
    return {
      ...env,
      CLAUDE_CODE_USE_BEDROCK: '1',
      AWS_REGION: provider.env.AWS_REGION ?? 'us-east-1',
      ANTHROPIC_BEDROCK_BASE_URL: baseUrl,
      // The broker signs; Claude Code must not look for credentials (it would find none).
      CLAUDE_CODE_SKIP_BEDROCK_AUTH: '1',
    };
  }
  // The token also stands as the key, as Claude Code wants one; the broker replaces it.
  return { ...env, ANTHROPIC_BASE_URL: baseUrl, ANTHROPIC_API_KEY: token };
}

/** Whether the broker serves this provider (Vertex AI is not brokered: see SECURITY.md). */
export function isBrokered(provider: ProviderConfig): boolean {
  return provider.kind === 'anthropic' || provider.kind === 'bedrock';
}
