/**
 * `auth: aws_iam` against local peers: a plain HTTP server that checks the Authorization header's
 * shape and recomputes the signature from what arrived, and the real MCP server of the tests
 * behind the same check, reached through the hub (handshake, calls, session end all signed).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sha256 } from '../broker/index.js';
import { loadConfig } from '../config/index.js';
import { NO_PRIVATE_HOSTS } from '../egress/index.js';
import { silentLogger } from '../logging/index.js';
import { startMcpServer, type SeenRequest, type TestMcpServer } from '../../test/support/mcp-server.js';
import { awsIamFetch } from './aws-iam-fetch.js';
import { McpHub } from './hub.js';
import { selectMcpServers } from './selection.js';

const CREDS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session-token-1' };
const AUTH =
  /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

/** Whether `req` carries a valid SigV4 signature for `service` in `region`: recomputed from the request as it arrived. */
async function verify(req: SeenRequest, region: string, service: string): Promise<{ ok: boolean; signedHeaders: string[] }> {
  const match = AUTH.exec(String(req.headers.authorization ?? ''));
  if (match === null || match[2] !== region || match[3] !== service) return { ok: false, signedHeaders: [] };
  const signedHeaders = match[4]!.split(';');
  // The signed payload hash must be the body's, as AWS checks it.
  const payloadHash = createHash('sha256').update(req.body).digest('hex');
  if (req.headers['x-amz-content-sha256'] !== payloadHash) return { ok: false, signedHeaders };
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = String(req.headers[name] ?? '');
  const url = new URL(req.path, `http://${req.headers.host}`);
  const date = String(req.headers['x-amz-date']);
  const signingDate = new Date(
    `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
  );
  const signer = new SignatureV4({ service, region, credentials: CREDS, sha256: Sha256 });
  const again = await signer.sign(
    {
      method: req.method,
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body: req.body,
    },
    { signingDate },
  );
  return { ok: again.headers.authorization === req.headers.authorization, signedHeaders };
}

describe('awsIamFetch', () => {
  let server: http.Server;
  let url: string;
  const seen: SeenRequest[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('signs the method, path, query, body and headers for the service and region, with the session token', async () => {
    const signed = awsIamFetch(fetch, { region: 'eu-west-1', service: 'bedrock-agentcore', credentials: CREDS });
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const res = await signed(`${url}/mcp?x=1&y=2`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'mcp-protocol-version': '2025-06-18' },
      body,
    });
    expect(res.status).toBe(200);
    const req = seen.at(-1)!;
    expect(req.body).toBe(body);
    expect(req.headers['x-amz-security-token']).toBe('session-token-1');
    const { ok, signedHeaders } = await verify(req, 'eu-west-1', 'bedrock-agentcore');
    expect(ok).toBe(true);
    expect(signedHeaders).toEqual(
      expect.arrayContaining([
        'host',
        'x-amz-date',
        'x-amz-content-sha256',
        'content-type',
        'mcp-protocol-version',
        'x-amz-security-token',
      ]),
    );
  });

  it('makes a signature that fails for another body (the check is real)', async () => {
    const signed = awsIamFetch(fetch, { region: 'us-east-1', service: 'bedrock-agentcore', credentials: CREDS });
    await signed(`${url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    const req = seen.at(-1)!;
    expect((await verify(req, 'us-east-1', 'bedrock-agentcore')).ok).toBe(true);
    expect((await verify({ ...req, body: '{"a":2}' }, 'us-east-1', 'bedrock-agentcore')).ok).toBe(false);
    expect((await verify(req, 'us-east-1', 'execute-api')).ok).toBe(false);
  });
});

describe('auth aws_iam through the hub', () => {
  let mcp: TestMcpServer;
  const verdicts: boolean[] = [];
  beforeAll(async () => {
    // The server's own check is synchronous: remember each request's verdict, refuse the unsigned.
    mcp = await startMcpServer({ authorize: (r) => AUTH.test(String(r.headers.authorization ?? '')) });
  });
  afterAll(async () => mcp?.close());

  it('signs every request of a run (handshake, calls, the end of the session) with the service credentials', async () => {
    const config = loadConfig(
      { 'mcp-config': JSON.stringify({ mcpServers: { gateway: { type: 'http', url: mcp.url, auth: { type: 'aws_iam' } } } }) },
      { AWS_REGION: 'ap-southeast-2' },
    ).mcp;
    expect(config.servers.gateway).toMatchObject({ auth: { type: 'aws_iam', region: 'ap-southeast-2', service: 'bedrock-agentcore' } });
    const hub = new McpHub({
      config,
      reach: { egress: { kind: 'open' }, privateHosts: NO_PRIVATE_HOSTS },
      log: silentLogger(),
      awsCredentials: () => CREDS,
    });
    const before = mcp.requests.length;
    const run = hub.openRun(await hub.admit(selectMcpServers({ servers: ['gateway'], tools: [] }, config)), new AbortController().signal);
    const [ours, theirs] = InMemoryTransport.createLinkedPair();
    await run.sdkServers.gateway!.instance.connect(theirs);
    const client = new Client({ name: 'claude-code', version: '0' });
    await client.connect(ours);
    expect((await client.callTool({ name: 'add', arguments: { a: 20, b: 22 } })).content).toEqual([{ type: 'text', text: '42' }]);
    await run.close();
    const requests = mcp.requests.slice(before);
    expect(requests.map((r) => r.method)).toEqual(expect.arrayContaining(['POST', 'DELETE']));
    for (const req of requests) verdicts.push((await verify(req, 'ap-southeast-2', 'bedrock-agentcore')).ok);
    expect(verdicts.every(Boolean)).toBe(true);
    expect(mcp.calls.at(-1)).toMatchObject({ tool: 'add', args: { a: 20, b: 22 } });
  });
});
