/**
 * `auth: aws_iam`: every request to the server signed with SigV4 (service `bedrock-agentcore` by
 * default, as AgentCore Gateway wants) with the service's own AWS credentials, which never leave it.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { Sha256, signUrlRequest } from '../broker/index.js';
import { bodyBytes, type FetchLike } from './fetch.js';

/** Where the signer's credentials come from: the default AWS chain in the service, fixed keys in tests. */
export type AwsCredentials = AwsCredentialIdentityProvider | AwsCredentialIdentity;

/**
 * Signs each request for `service` in `region`, then sends it with `inner`.
 * @example awsIamFetch(fetch, { region: 'us-east-1', service: 'bedrock-agentcore', credentials: defaultProvider() })
 */
export function awsIamFetch(inner: FetchLike, opts: { region: string; service: string; credentials: AwsCredentials }): FetchLike {
  const signer = new SignatureV4({ service: opts.service, region: opts.region, credentials: opts.credentials, sha256: Sha256 });
  return async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input.href);
    const headers: Record<string, string> = { host: url.host };
    for (const [name, value] of new Headers(init?.headers)) headers[name] = value;
    const body = bodyBytes(init?.body);
    const signed = await signUrlRequest(signer, { method: init?.method ?? 'GET', url, headers, body });
    // fetch sets Host from the URL itself (the same value that was signed).
    const { host: _host, ...sent } = signed;
    return inner(url, { ...init, headers: sent, ...(init?.body !== undefined && init.body !== null ? { body } : {}) });
  };
}
