/**
 * One SigV4 signature of a request to a URL: the URL's query taken apart as the signer wants it
 * (repeated names kept), the path as it goes on the wire. The broker signs Bedrock calls with it,
 * the MCP client its calls to an AgentCore Gateway.
 */
import type { SignatureV4 } from '@smithy/signature-v4';

/**
 * The request's headers with the signature added (`host` included: drop it where fetch sets it).
 * @example const headers = await signUrlRequest(signer, { method: 'POST', url, headers: { host: url.host }, body });
 */
export async function signUrlRequest(
  signer: SignatureV4,
  req: { method: string; url: URL; headers: Record<string, string>; body: Uint8Array | string | undefined },
): Promise<Record<string, string>> {
  const { url } = req;
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const seen = query[name];
    query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  const signed = await signer.sign({
    method: req.method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port !== '' ? { port: Number(url.port) } : {}),
    // The path as it goes on the wire (Claude Code sends a Bedrock model id's ":" unencoded); the
    // signer escapes it for the canonical form, as Claude Code's own signer would.
    path: url.pathname,
    query,
    headers: req.headers,
    body: req.body,
  });
  return signed.headers as Record<string, string>;
}
