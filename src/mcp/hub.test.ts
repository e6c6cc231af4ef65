/**
 * The hub against a real MCP server on 127.0.0.1 (test/support/mcp-server.ts): a run's proxies are
 * driven by a real MCP client over an in-memory transport, the way the Agent SDK connects them.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type McpConfig } from '../config/index.js';
import { parsePrivateHosts, NO_PRIVATE_HOSTS } from '../egress/index.js';
import { toErrorResponse } from '../errors/index.js';
import { silentLogger } from '../logging/index.js';
import { closedPort, startMcpServer, type TestMcpServer } from '../../test/support/mcp-server.js';
import { McpHub, type RunMcp } from './hub.js';
import { selectMcpServers } from './selection.js';
import { parseMcpToolName, type McpToolRef } from './tool-names.js';
import { MAX_RESULT_CHARS, type ToolCallRecord } from './upstream.js';

let mcp: TestMcpServer;
let downUrl: string;

beforeAll(async () => {
  mcp = await startMcpServer();
  downUrl = `http://127.0.0.1:${await closedPort()}/mcp`;
});
afterAll(async () => mcp?.close());

function configOf(servers: Record<string, unknown>, env: Record<string, string> = {}, extra: Record<string, string> = {}): McpConfig {
  return loadConfig({ 'mcp-config': JSON.stringify({ mcpServers: servers }) }, { ...env, ...extra }).mcp;
}

function hubFor(config: McpConfig, opts: { privateHosts?: string[]; onToolCall?: (c: ToolCallRecord) => void } = {}): McpHub {
  return new McpHub({
    config,
    reach: { egress: { kind: 'open' }, privateHosts: opts.privateHosts ? parsePrivateHosts(opts.privateHosts) : NO_PRIVATE_HOSTS },
    log: silentLogger(),
    ...(opts.onToolCall ? { onToolCall: opts.onToolCall } : {}),
  });
}

const tools = (...names: string[]): McpToolRef[] => names.map((n) => parseMcpToolName(n)!);

/** Connects a client to one of the run's proxies, as the Agent SDK does over Claude Code's control channel. */
async function clientOf(run: RunMcp, name: string): Promise<Client> {
  const [ours, theirs] = InMemoryTransport.createLinkedPair();
  await run.sdkServers[name]!.instance.connect(theirs);
  const client = new Client({ name: 'claude-code', version: '0' });
  await client.connect(ours);
  return client;
}

const docs = { type: 'http', url: '', headers: { Authorization: 'Bearer ${DOCS_TOKEN}' } };
const env = { DOCS_TOKEN: 'op-secret' };

describe('McpHub: a run through its proxies', () => {
  it('offers the server tools, forwards calls with the operator header, and reports them', async () => {
    const seen: ToolCallRecord[] = [];
    const config = configOf({ docs: { ...docs, url: mcp.url } }, env);
    const hub = hubFor(config, { onToolCall: (c) => seen.push(c) });
    const plan = await hub.admit(selectMcpServers({ servers: ['docs'], tools: [] }, config));
    const run = hub.openRun(plan, new AbortController().signal);
    const client = await clientOf(run, 'docs');
    const listed = (await client.listTools()).tools.map((t) => t.name);
    // A name Claude Code would rewrite is offered rewritten, and called by its real name.
    expect(listed.sort()).toEqual(['add', 'big', 'dotted_name', 'echo', 'fail']);
    const before = mcp.calls.length;
    const result = (await client.callTool({ name: 'echo', arguments: { text: 'hi' } })) as CallToolResult;
    expect(result.content).toEqual([{ type: 'text', text: 'echo: hi' }]);
    expect((await client.callTool({ name: 'dotted_name' })).content).toEqual([{ type: 'text', text: 'dotted' }]);
    const call = mcp.calls[before]!;
    expect(call).toMatchObject({ tool: 'echo', args: { text: 'hi' } });
    expect(call.headers.authorization).toBe('Bearer op-secret');
    expect(mcp.calls[before + 1]!.tool).toBe('dotted.name');
    expect(seen.map((c) => [c.server, c.tool, c.ok])).toEqual([
      ['docs', 'echo', true],
      ['docs', 'dotted.name', true],
    ]);
    await client.close();
    const sessionsBefore = mcp.sessions.size;
    await run.close();
    // The run's MCP session is ended on the server: nothing of it is left for another run.
    expect(mcp.sessions.size).toBe(sessionsBefore - 1);
    expect(run.report()).toEqual({
      servers: [
        {
          name: 'docs',
          source: 'config',
          status: 'connected',
          tools: expect.arrayContaining(['mcp__docs__echo', 'mcp__docs__add']),
          calls: 2,
          failed_calls: 0,
        },
      ],
      calls: 2,
    });
  });

  it('offers only the tools the request names, and refuses a call to any other', async () => {
    const config = configOf({ docs: { ...docs, url: mcp.url } }, env);
    const hub = hubFor(config);
    const plan = await hub.admit(selectMcpServers({ servers: ['docs'], tools: tools('mcp__docs__echo') }, config));
    const run = hub.openRun(plan, new AbortController().signal);
    const client = await clientOf(run, 'docs');
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
    const before = mcp.calls.length;
    const refused = (await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(refused.content).toEqual([{ type: 'text', text: 'add is not a tool of the MCP server docs that this run may use.' }]);
    expect(mcp.calls.length).toBe(before);
    await run.close();
  });

  it('answers 400 at admission for a named tool the server does not offer, listing the ones it does', async () => {
    const config = configOf({ docs: { ...docs, url: mcp.url } }, env);
    const hub = hubFor(config);
    const err = await hub.admit(selectMcpServers({ servers: ['docs'], tools: tools('mcp__docs__nope') }, config)).catch((e: unknown) => e);
    const { status, body } = toErrorResponse(err);
    expect(status).toBe(400);
    expect(body.message).toMatch(/^allowed_tools names mcp__docs__nope, which the MCP server docs does not offer; its tools: /);
    expect(body.message).toContain('mcp__docs__echo');
  });

  it('a server that is down gives the run no tools and a report saying why; its admission does not fail', async () => {
    const config = configOf({ down: { type: 'http', url: downUrl } });
    const hub = hubFor(config);
    // Named tools cannot be checked against a server that is down: the run goes on.
    const plan = await hub.admit(selectMcpServers({ servers: ['down'], tools: tools('mcp__down__x') }, config));
    const run = hub.openRun(plan, new AbortController().signal);
    const client = await clientOf(run, 'down');
    expect((await client.listTools()).tools).toEqual([]);
    const call = (await client.callTool({ name: 'x' })) as CallToolResult;
    expect(call.isError).toBe(true);
    await run.close();
    const report = run.report().servers[0]!;
    expect(report).toMatchObject({ name: 'down', status: 'unavailable', tools: [] });
    expect(report.error).toMatch(/fetch failed|ECONNREFUSED/);
  });

  it('a refused credential makes the server unavailable, not the run failed', async () => {
    const config = configOf({ docs: { type: 'http', url: mcp.url, headers: { Authorization: 'Bearer wrong' } } });
    const hub = hubFor(config);
    const run = hub.openRun(await hub.admit(selectMcpServers({ servers: ['docs'], tools: [] }, config)), new AbortController().signal);
    const client = await clientOf(run, 'docs');
    expect((await client.listTools()).tools).toEqual([]);
    await run.close();
    expect(run.report().servers[0]).toMatchObject({ status: 'unavailable', error: expect.stringMatching(/401/) });
  });

  it('passes error results on as errors and cuts results past the cap with a note', async () => {
    const config = configOf({ docs: { ...docs, url: mcp.url } }, env);
    const hub = hubFor(config);
    const run = hub.openRun(await hub.admit(selectMcpServers({ servers: ['docs'], tools: [] }, config)), new AbortController().signal);
    const client = await clientOf(run, 'docs');
    const failed = (await client.callTool({ name: 'fail' })) as CallToolResult;
    expect(failed).toMatchObject({ isError: true, content: [{ type: 'text', text: 'it failed, as it always does' }] });
    const big = (await client.callTool({ name: 'big' })) as CallToolResult;
    const text = (big.content[0] as { text: string }).text;
    expect(text.length).toBeLessThan(MAX_RESULT_CHARS + 200);
    expect(text).toMatch(/\[cut: the result was \d+ characters; the service passes at most 1000000\]$/);
    await run.close();
    expect(run.report().servers[0]).toMatchObject({ calls: 2, failed_calls: 1 });
  });

  it('reaches an SSE server too', async () => {
    const config = configOf({ old: { type: 'sse', url: mcp.sseUrl, headers: { Authorization: 'Bearer op-secret' } } });
    const hub = hubFor(config);
    const run = hub.openRun(await hub.admit(selectMcpServers({ servers: ['old'], tools: [] }, config)), new AbortController().signal);
    const client = await clientOf(run, 'old');
    expect((await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).content).toEqual([{ type: 'text', text: '5' }]);
    await run.close();
  });

  it('runs a stdio server the operator allowed, with only its own environment', async () => {
    const script = new URL('../../test/support/mcp-stdio-server.mjs', import.meta.url).pathname;
    const config = configOf(
      { local: { type: 'stdio', command: process.execPath, args: [script], env: { GREETING: '${GREETING}' } } },
      { GREETING: 'hello from the operator', SERVICE_SECRET: 'not for the server' },
      { CCA_MCP_ALLOW_STDIO: '1' },
    );
    const hub = hubFor(config);
    const run = hub.openRun(await hub.admit(selectMcpServers({ servers: ['local'], tools: [] }, config)), new AbortController().signal);
    const client = await clientOf(run, 'local');
    const result = (await client.callTool({ name: 'env' })) as CallToolResult;
    const seen = JSON.parse((result.content[0] as { text: string }).text) as Record<string, string>;
    expect(seen.GREETING).toBe('hello from the operator');
    expect(seen.SERVICE_SECRET).toBeUndefined();
    await run.close();
  });
});

describe('McpHub: a request server', () => {
  const allowing = (): McpConfig => ({ ...configOf({}), allowRequestServers: true });

  it('is refused at a loopback address unless the operator allows it', async () => {
    const config = allowing();
    const selection = selectMcpServers({ servers: [{ name: 'mine', url: mcp.url, headers: {} }], tools: [] }, config);
    const err = await hubFor(config)
      .admit(selection)
      .catch((e: unknown) => e);
    const { status, body } = toErrorResponse(err);
    expect(status).toBe(400);
    expect(body.message).toMatch(
      /^mcp_servers\.mine\.url: 127\.0\.0\.1 is at 127\.0\.0\.1, a loopback, private, link-local or metadata address/,
    );
  });

  it('goes to the address that was checked, with its own headers, whatever its name resolves to later', async () => {
    const config = allowing();
    let lookups = 0;
    const port = new URL(mcp.url).port;
    const hub = new McpHub({
      config,
      reach: { egress: { kind: 'open' }, privateHosts: parsePrivateHosts(['127.0.0.1']) },
      log: silentLogger(),
      // The first answer is checked and pinned; a rebinding answer later must not be used.
      resolve: async () => (lookups++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.9.9.9', family: 4 }]),
    });
    const selection = selectMcpServers(
      { servers: [{ name: 'mine', url: `http://mcp.test:${port}/mcp`, headers: { Authorization: 'Bearer op-secret' } }], tools: [] },
      config,
    );
    const run = hub.openRun(await hub.admit(selection), new AbortController().signal);
    const client = await clientOf(run, 'mine');
    const before = mcp.requests.length;
    expect((await client.callTool({ name: 'add', arguments: { a: 1, b: 1 } })).content).toEqual([{ type: 'text', text: '2' }]);
    await run.close();
    expect(lookups).toBe(1);
    expect(mcp.requests.slice(before).every((r) => r.headers.host === `mcp.test:${port}`)).toBe(true);
  });
});
