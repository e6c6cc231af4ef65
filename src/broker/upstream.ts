/**
 * Where the broker sends a run's model requests and how it adds the operator's credential: the
 * Anthropic API (or any compatible endpoint) with `x-api-key` / `Authorization`, or Amazon Bedrock
 * with a SigV4 signature (or a Bedrock API key). The credential lives here, in the service, only.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { ProviderConfig } from '../config/index.js';
import { Sha256 } from './sha256.js';
import { signUrlRequest } from './sign-url.js';

/** A request on its way to the provider: the body is whole (SigV4 signs it), the answer streams. */
export interface ModelRequest {
  method: string;
  /** The path the run asked for below the broker's base, with its query. */
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface ModelUpstream {
  /** Which API the requests speak (decides the calls a run may make). */
  kind: 'anthropic' | 'bedrock';
  /** For logs: where requests go. */
  endpoint: string;
  /** The URL `req` goes to and its headers with the credential in; the request's own are replaced. */
  prepare(req: ModelRequest): Promise<{ url: URL; headers: Record<string, string> }>;
}

/** Headers that carry a credential or a signature: never forwarded from the run. */
export const CREDENTIAL_HEADERS = ['x-api-key', 'authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'];

/** Joins a base URL (which may have a path, e.g. a gateway's /anthropic) and a request path. */
export function joinUrl(base: string, path: string): URL {
  const url = new URL(base);
  const [pathname = '', query] = path.split(/\?(.*)/s, 2);
  url.pathname = url.pathname.replace(/\/+$/, '') + pathname;
  url.search = query === undefined ? '' : `?${query}`;
  return url;
}

/** ANTHROPIC_CUSTOM_HEADERS: `Name: value` lines, which may carry a gateway's secret. */
export function parseCustomHeaders(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (raw ?? '').split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at <= 0) continue;
    const name = line.slice(0, at).trim().toLowerCase();
    if (/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) out[name] = line.slice(at + 1).trim();
  }
  return out;
}

/** The Anthropic API or a compatible endpoint, with the operator's key or token. */
export function anthropicUpstream(provider: ProviderConfig): ModelUpstream {
  const env = provider.env;
  const custom = parseCustomHeaders(env.ANTHROPIC_CUSTOM_HEADERS);
  return {
    kind: 'anthropic',
    endpoint: provider.endpoint,
    prepare: async (req) => {
      const headers = { ...req.headers, ...custom };
      if (env.ANTHROPIC_API_KEY !== undefined) headers['x-api-key'] = env.ANTHROPIC_API_KEY;
      if (env.ANTHROPIC_AUTH_TOKEN !== undefined) headers.authorization = `Bearer ${env.ANTHROPIC_AUTH_TOKEN}`;
      return { url: joinUrl(provider.endpoint, req.path), headers };
    },
  };
}

/**
 * Amazon Bedrock: model calls to bedrock-runtime, the control plane's calls Claude Code makes at
 * start-up (inference profiles) to bedrock, both signed for the service `bedrock` in the region;
 * with ANTHROPIC_BEDROCK_BASE_URL everything goes there, as Claude Code itself would send it.
 */
export function bedrockUpstream(
  provider: ProviderConfig,
  credentials: () => AwsCredentialIdentityProvider | AwsCredentialIdentity,
): ModelUpstream {
  const env = provider.env;
  const region = env.AWS_REGION ?? 'us-east-1';
  const baseFor = (path: string) =>
    env.ANTHROPIC_BEDROCK_BASE_URL ??
    (/^\/(inference-profiles|foundation-models)\b/.test(path)
      ? `https://bedrock.${region}.amazonaws.com`
      : `https://bedrock-runtime.${region}.amazonaws.com`);
  let signer: SignatureV4 | undefined;
  return {
    kind: 'bedrock',
    endpoint: provider.endpoint,
    prepare: async (req) => {
      const url = joinUrl(baseFor(req.path), req.path);
      const headers: Record<string, string> = { ...req.headers, host: url.host };
      // A Bedrock API key, or a base URL whose gateway authenticates by itself (the operator's
      // CLAUDE_CODE_SKIP_BEDROCK_AUTH): no signature.
      if (env.AWS_BEARER_TOKEN_BEDROCK !== undefined)
        return { url, headers: { ...headers, authorization: `Bearer ${env.AWS_BEARER_TOKEN_BEDROCK}` } };
      if (/^(1|true)$/i.test(env.CLAUDE_CODE_SKIP_BEDROCK_AUTH ?? '')) return { url, headers };
      signer ??= new SignatureV4({ service: 'bedrock', region, credentials: credentials(), sha256: Sha256 });
      return { url, headers: await signUrlRequest(signer, { method: req.method, url, headers, body: req.body }) };
    },
  };
}

/** Static keys from the service's configuration, if it has them. */
export function staticAwsCredentials(env: Record<string, string>): AwsCredentialIdentity | undefined {
  if (env.AWS_ACCESS_KEY_ID === undefined || env.AWS_SECRET_ACCESS_KEY === undefined) return undefined;
  return {
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    ...(env.AWS_SESSION_TOKEN !== undefined ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}
