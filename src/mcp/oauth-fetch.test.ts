/**
 * `auth: oauth_client_credentials` against local peers: a token endpoint that checks the client's
 * Basic credentials and the grant, and the real MCP server of the tests accepting only the token
 * the endpoint issued last.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { NO_PRIVATE_HOSTS } from '../egress/index.js';
import { silentLogger } from '../logging/index.js';
import { startMcpServer, type TestMcpServer } from '../../test/support/mcp-server.js';
import { McpHub } from './hub.js';
import { oauthFetch, TokenError, TokenSource } from './oauth-fetch.js';
import { selectMcpServers } from './selection.js';

interface TokenRequest {
  authorization: string | undefined;
  form: URLSearchParams;
}

let tokenServer: http.Server;
let tokenUrl: string;
const tokenRequests: TokenRequest[] = [];
let issued = 0;
let expiresIn: number | undefined = 3600;
let refuse = false;

beforeAll(async () => {
  tokenServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      tokenRequests.push({ authorization: req.headers.authorization, form });
      const basic = `Basic ${Buffer.from('cca-client:client-secret-1').toString('base64')}`;
      if (refuse || req.headers.authorization !== basic || form.get('grant_type') !== 'client_credentials') {
        res
          .writeHead(401, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: 'invalid_client', error_description: 'bad secret' }));
        return;
      }
      issued += 1;
      const body = { access_token: `tok-${issued}`, token_type: 'Bearer', ...(expiresIn !== undefined ? { expires_in: expiresIn } : {}) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => tokenServer.listen(0, '127.0.0.1', r));
  tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/oauth2/token`;
});
afterAll(() => new Promise<void>((r) => tokenServer.close(() => r())));

const creds = () => ({ tokenUrl, clientId: 'cca-client', clientSecret: 'client-secret-1', scope: 'gateway/invoke' });

describe('TokenSource', () => {
  it('asks with the client credentials grant and Basic auth, and keeps the token for all callers until it nears expiry', async () => {
    let now = 1_000_000;
    const tokens = new TokenSource(creds(), fetch, () => now);
    const before = tokenRequests.length;
    const [a, b] = await Promise.all([tokens.token(), tokens.token()]);
    expect(a).toBe(b);
    expect(await tokens.token()).toBe(a);
    expect(tokenRequests.length - before).toBe(1);
    expect(tokenRequests.at(-1)!.form.get('scope')).toBe('gateway/invoke');
    // 3600 s, renewed a minute early.
    now += 3_539_000;
    expect(await tokens.token()).toBe(a);
    now += 2000;
    expect(await tokens.token()).not.toBe(a);
    expect(tokenRequests.length - before).toBe(2);
  });

  it('says what the token endpoint answered when it refuses', async () => {
    refuse = true;
    try {
      const err = await new TokenSource(creds()).token().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TokenError);
      expect((err as Error).message).toBe(`The token endpoint ${tokenUrl} gave no access token (invalid_client: bad secret).`);
    } finally {
      refuse = false;
    }
  });
});

describe('auth oauth_client_credentials through the hub', () => {
  let mcp: TestMcpServer;
  /** The MCP server takes the token issued last only: "revoking" is issuing a newer one. */
  beforeAll(async () => {
    mcp = await startMcpServer({ authorize: (r) => r.headers.authorization === `Bearer tok-${issued}` });
  });
  afterAll(async () => mcp?.close());

  function config() {
    return loadConfig(
      {
        'mcp-config': JSON.stringify({
          mcpServers: {
            gateway: {
              type: 'http',
              url: mcp.url,
              auth: {
                type: 'oauth_client_credentials',
                token_url: tokenUrl,
                client_id: 'cca-client',
                client_secret_env: 'GW_SECRET',
                scope: 'gateway/invoke',
              },
            },
          },
        }),
      },
      { GW_SECRET: 'client-secret-1' },
    ).mcp;
  }

  async function callAdd(hub: McpHub, cfg: ReturnType<typeof config>): Promise<unknown> {
    const run = hub.openRun(await hub.admit(selectMcpServers({ servers: ['gateway'], tools: [] }, cfg)), new AbortController().signal);
    const [ours, theirs] = InMemoryTransport.createLinkedPair();
    await run.sdkServers.gateway!.instance.connect(theirs);
    const client = new Client({ name: 'claude-code', version: '0' });
    await client.connect(ours);
    const result = await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    await run.close();
    return result.content;
  }

  it('shares one token between runs and fetches a new one when the server answers 401', async () => {
    const cfg = config();
    const hub = new McpHub({ config: cfg, reach: { egress: { kind: 'open' }, privateHosts: NO_PRIVATE_HOSTS }, log: silentLogger() });
    const before = tokenRequests.length;
    expect(await callAdd(hub, cfg)).toEqual([{ type: 'text', text: '3' }]);
    expect(await callAdd(hub, cfg)).toEqual([{ type: 'text', text: '3' }]);
    expect(tokenRequests.length - before).toBe(1);
    // Another client took a newer token: the server now refuses ours.
    issued += 1;
    expect(await callAdd(hub, cfg)).toEqual([{ type: 'text', text: '3' }]);
    expect(tokenRequests.length - before).toBe(2);
    expect(mcp.calls.at(-1)!.headers.authorization).toBe(`Bearer tok-${issued}`);
  });

  it('oauthFetch retries a refused request once, with the same body', async () => {
    const bodies: string[] = [];
    let first = true;
    const inner = async (_url: string | URL, init?: RequestInit) => {
      bodies.push(Buffer.from(init?.body as Uint8Array).toString('utf8'));
      const status = first ? 401 : 200;
      first = false;
      return new Response('{}', { status });
    };
    const res = await oauthFetch(inner, new TokenSource(creds()))('http://mcp.test/mcp', { method: 'POST', body: '{"id":1}' });
    expect(res.status).toBe(200);
    expect(bodies).toEqual(['{"id":1}', '{"id":1}']);
  });
});
