/**
 * Where each model provider is reached: the hosts and ports a run with an egress allowlist must
 * still be able to connect to.
 */
import { normalizeHost, type Endpoint } from '../egress/index.js';
import type { ProviderConfig } from './provider.js';

/**
 * Where Claude Code must connect to reach its model: the provider's endpoint and, on Bedrock, the
 * credential endpoints its environment points at. The instance metadata service (169.254.169.254)
 * is not among them: pass credentials in the environment, or allow it explicitly.
 */
export function modelEndpoints(provider: ProviderConfig): Endpoint[] {
  const endpoints: Endpoint[] = [];
  const add = (url: string | undefined) => {
    const e = url === undefined ? undefined : endpointOf(url);
    if (e !== undefined) endpoints.push(e);
  };
  if (provider.kind === 'anthropic') add(provider.endpoint);
  if (provider.kind === 'bedrock') {
    const env = provider.env;
    add(provider.endpoint);
    const fastRegion = env.ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION;
    if (fastRegion !== undefined && env.ANTHROPIC_BEDROCK_BASE_URL === undefined)
      add(`https://bedrock-runtime.${fastRegion}.amazonaws.com`);
    add(env.AWS_CONTAINER_CREDENTIALS_FULL_URI);
    if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI !== undefined) add('http://169.254.170.2');
    if (env.AWS_WEB_IDENTITY_TOKEN_FILE !== undefined) {
      add(`https://sts.${env.AWS_REGION ?? 'us-east-1'}.amazonaws.com`);
      add('https://sts.amazonaws.com');
    }
  }
  if (provider.kind === 'vertex') {
    // Vertex AI (regional and global) and Google's token services, not the rest of googleapis.com
    // (storage.googleapis.com would be a way out).
    const region = provider.env.CLOUD_ML_REGION;
    const hosts = ['aiplatform', 'oauth2', 'sts', 'iamcredentials'];
    if (region !== undefined && region !== 'global') hosts.push(`${region}-aiplatform`);
    for (const h of hosts) endpoints.push({ pattern: `${h}.googleapis.com`, port: 443 });
  }
  return endpoints;
}

function endpointOf(url: string): Endpoint | undefined {
  try {
    const u = new URL(url);
    const port = u.port !== '' ? Number(u.port) : u.protocol === 'http:' ? 80 : 443;
    return { pattern: normalizeHost(u.hostname), port };
  } catch {
    return undefined;
  }
}
