/**
 * The hub against a real MCP server on 127.0.0.1 (test/support/mcp-server.ts): a run's proxies are
 * driven by a real MCP client over an in-memory transport, the way the Agent SDK connects them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** A page of a tool list as a hostile server sends it. */
type Page = { tools: { name: string }[]; nextCursor?: string };

/**
 * A tiny MCP server speaking streamable HTTP with plain JSON answers, whose tool list is whatever
 * `page` says (a real server of the SDK would not page forever), or that answers 500 to everything.
 */
async function startHostileServer(page: (cursor: string | undefined) => Page, opts: { broken?: boolean } = {}) {
  const seen = { requests: 0, lists: 0 };
  const server = http.createServer((req, res) => {
    seen.requests += 1;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (opts.broken === true) return void res.writeHead(500).end('broken');
      if (req.method !== 'POST') return void res.writeHead(405).end();
      const msg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: number; method: string; params?: Record<string, unknown> };
      if (msg.id === undefined) return void res.writeHead(202).end();
      let result: unknown;
      if (msg.method === 'initialize') {
        result = {
          protocolVersion: msg.params?.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: 'hostile', version: '0' },
        };
      } else if (msg.method === 'tools/list') {
        seen.lists += 1;
        const p = page((msg.params?.cursor as string | undefined) ?? undefined);
        result = { ...p, tools: p.tools.map((t) => ({ ...t, inputSchema: { type: 'object' } })) };
      } else result = {};
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('McpHub: a hostile or broken server', () => {
  it('stops reading a tool list whose cursor comes back, at admission and in a run', async () => {
    const hostile = await startHostileServer(() => ({ tools: [{ name: 'only' }], nextCursor: 'again' }));
    try {
      const config = configOf({ hostile: { type: 'http', url: hostile.url } });
      const hub = hubFor(config);
      // The named tool is not in the list read; the list was cut, so that is no proof it does not exist.
      const plan = await hub.admit(selectMcpServers({ servers: ['hostile'], tools: tools('mcp__hostile__later') }, config));
      expect(hostile.seen.lists).toBe(2);
      const run = hub.openRun(await hub.admit(selectMcpServers({ servers: ['hostile'], tools: [] }, config)), new AbortController().signal);
      const client = await clientOf(run, 'hostile');
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['only']);
      await run.close();
      expect(run.report().servers[0]).toMatchObject({
        status: 'connected',
        error: 'the tool list was cut: the server sent a page cursor it had sent before; the run was offered the tools read until then',
      });
      expect(plan.servers[0]!.tools).toEqual(new Set(['later']));
    } finally {
      await hostile.close();
    }
  });

  it('stops reading a tool list after 100 pages and offers the tools read until then', async () => {
    const hostile = await startHostileServer((cursor) => {
      const n = cursor === undefined ? 0 : Number(cursor);
      return { tools: [{ name: `t${n}` }], nextCursor: String(n + 1) };
    });
    try {
      const config = configOf({ hostile: { type: 'http', url: hostile.url } });
      const hub = hubFor(config);
      await hub.admit(selectMcpServers({ servers: ['hostile'], tools: tools('mcp__hostile__t500') }, config));
      expect(hostile.seen.lists).toBe(100);
      const run = hub.openRun(await hub.admit(selectMcpServers({ servers: ['hostile'], tools: [] }, config)), new AbortController().signal);
      const client = await clientOf(run, 'hostile');
      expect((await client.listTools()).tools).toHaveLength(100);
      await run.close();
      expect(hostile.seen.lists).toBe(200);
      expect(run.report().servers[0]!.error).toMatch(/^the tool list was cut after 100 pages;/);
    } finally {
      await hostile.close();
    }
  });

  it('stops reading a tool list past 32 MiB of definitions, however few the tools and pages', async () => {
    // Each page one tool with a 5 MiB description: within the answer cap, the page cap and the tool cap.
    const big = 'd'.repeat(5 * 2 ** 20);
    const hostile = await startHostileServer((cursor) => {
      const n = cursor === undefined ? 0 : Number(cursor);
      return { tools: [{ name: `t${n}`, description: big } as { name: string }], nextCursor: String(n + 1) };
    });
    try {
      const config = configOf({ hostile: { type: 'http', url: hostile.url } });
      const run = hubFor(config).openRun(
        await hubFor(config).admit(selectMcpServers({ servers: ['hostile'], tools: [] }, config)),
        new AbortController().signal,
      );
      const client = await clientOf(run, 'hostile');
      expect((await client.listTools()).tools).toHaveLength(6);
      await run.close();
      expect(run.report().servers[0]!.error).toMatch(/^the tool list was cut after 32 MiB of tool definitions;/);
    } finally {
      await hostile.close();
    }
  });

  it('leaves out tools whose full name is past the 64 characters the model API takes, and reports them', async () => {
    const long = `${'x'.repeat(49)}_tool`; // mcp__hostile__ + 54 characters = 68
    const hostile = await startHostileServer(() => ({ tools: [{ name: 'short' }, { name: long }] }));
    try {
      const config = configOf({ hostile: { type: 'http', url: hostile.url } });
      const hub = hubFor(config);
      // At admission, a listed name past the limit is not offered either: the 400 lists only the tools a run could have.
      const err = await hub.admit(selectMcpServers({ servers: ['hostile'], tools: tools('mcp__hostile__nope') }, config)).catch((e) => e);
      expect(toErrorResponse(err).body.message).toMatch(/its tools: mcp__hostile__short\.$/);
      const run = hub.openRun(await hub.admit(selectMcpServers({ servers: ['hostile'], tools: [] }, config)), new AbortController().signal);
      const client = await clientOf(run, 'hostile');
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['short']);
      await run.close();
      expect(run.report().servers[0]).toMatchObject({ tools: ['mcp__hostile__short'], skipped_tools: [`mcp__hostile__${long}`] });
      expect(run.report().servers[0]).not.toHaveProperty('error');
    } finally {
      await hostile.close();
    }
  });

  it('does not ask a server that failed at admission again for a while', async () => {
    const broken = await startHostileServer(() => ({ tools: [] }), { broken: true });
    try {
      const config = configOf({ broken: { type: 'http', url: broken.url } });
      const hub = hubFor(config);
      const selection = selectMcpServers({ servers: ['broken'], tools: tools('mcp__broken__x') }, config);
      await hub.admit(selection);
      const asked = broken.seen.requests;
      expect(asked).toBeGreaterThan(0);
      // The second request goes on without the check (as the first did), without asking again.
      await hub.admit(selection);
      expect(broken.seen.requests).toBe(asked);
    } finally {
      await broken.close();
    }
  });
});
