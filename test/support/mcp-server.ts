/**
 * A real MCP server (@modelcontextprotocol/sdk's McpServer) on 127.0.0.1 with an OS-assigned port,
 * over streamable HTTP at /mcp and the older SSE transport at /sse + /messages. It refuses any
 * request its `authorize` check does not pass (by default: `Authorization: Bearer op-secret`) and
 * records every request and tool call with the headers it came with.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

export interface ToolCall {
  tool: string;
  args: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface TestMcpServer {
  /** The streamable HTTP endpoint. */
  url: string;
  /** The SSE endpoint (GET). */
  sseUrl: string;
  calls: ToolCall[];
  requests: SeenRequest[];
  /** Streamable HTTP sessions the server still holds (ended by DELETE). */
  sessions: Set<string>;
  close(): Promise<void>;
}

export interface TestMcpOptions {
  /** Whether a request may go on; default: `Authorization: Bearer op-secret`. */
  authorize?: (req: SeenRequest) => boolean;
  /** Characters of the `big` tool's answer. */
  bigChars?: number;
}

/** Tools: echo(text), add(a, b), big() (a long text), fail() (an error result), dotted.name (a name Claude Code would rewrite). */
function buildServer(calls: ToolCall[], headers: () => http.IncomingHttpHeaders, bigChars: number): McpServer {
  const server = new McpServer({ name: 'test-mcp', version: '1.0.0' });
  const record = (tool: string, args: Record<string, unknown>) => calls.push({ tool, args, headers: headers() });
  server.registerTool('echo', { description: 'Echo a text back.', inputSchema: { text: z.string() } }, async ({ text }) => {
    record('echo', { text });
    return { content: [{ type: 'text', text: `echo: ${text}` }] };
  });
  server.registerTool('add', { description: 'Add two numbers.', inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => {
    record('add', { a, b });
    return { content: [{ type: 'text', text: String(a + b) }] };
  });
  server.registerTool('big', { description: 'A long answer.' }, async () => {
    record('big', {});
    return { content: [{ type: 'text', text: 'x'.repeat(bigChars) }] };
  });
  server.registerTool('fail', { description: 'Always fails.' }, async () => {
    record('fail', {});
    return { isError: true, content: [{ type: 'text', text: 'it failed, as it always does' }] };
  });
  server.registerTool('dotted.name', { description: 'A name with a dot.' }, async () => {
    record('dotted.name', {});
    return { content: [{ type: 'text', text: 'dotted' }] };
  });
  return server;
}

/** Starts the server; `close()` ends it and every connection. */
export async function startMcpServer(opts: TestMcpOptions = {}): Promise<TestMcpServer> {
  const calls: ToolCall[] = [];
  const requests: SeenRequest[] = [];
  const authorize = opts.authorize ?? ((r: SeenRequest) => r.headers.authorization === 'Bearer op-secret');
  const streamable = new Map<string, { transport: StreamableHTTPServerTransport; server: McpServer; headers: http.IncomingHttpHeaders }>();
  const sse = new Map<string, { transport: SSEServerTransport; headers: http.IncomingHttpHeaders }>();
  const sessions = new Set<string>();

  const httpServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const seen: SeenRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body };
      requests.push(seen);
      if (!authorize(seen)) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'unauthorized' }));
        return;
      }
      handle(req, res, seen).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(err));
      });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, seen: SeenRequest): Promise<void> {
    const path = seen.path.split('?')[0];
    const parsed = seen.body === '' ? undefined : (JSON.parse(seen.body) as unknown);
    if (path === '/mcp') {
      const id = req.headers['mcp-session-id'];
      const existing = typeof id === 'string' ? streamable.get(id) : undefined;
      if (existing !== undefined) {
        existing.headers = req.headers;
        await existing.transport.handleRequest(req, res, parsed);
        return;
      }
      let entry: { transport: StreamableHTTPServerTransport; server: McpServer; headers: http.IncomingHttpHeaders };
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (sid) => {
          streamable.set(sid, entry);
          sessions.add(sid);
        },
        onsessionclosed: (sid) => {
          streamable.delete(sid);
          sessions.delete(sid);
        },
      });
      const server = buildServer(calls, () => entry.headers, opts.bigChars ?? 2_000_000);
      entry = { transport, server, headers: req.headers };
      await server.connect(transport);
      await transport.handleRequest(req, res, parsed);
      return;
    }
    if (path === '/sse' && req.method === 'GET') {
      const transport = new SSEServerTransport('/messages', res);
      const entry = { transport, headers: req.headers };
      sse.set(transport.sessionId, entry);
      res.on('close', () => sse.delete(transport.sessionId));
      await buildServer(calls, () => entry.headers, opts.bigChars ?? 2_000_000).connect(transport);
      return;
    }
    if (path === '/messages' && req.method === 'POST') {
      const sid = new URL(seen.path, 'http://x').searchParams.get('sessionId') ?? '';
      const entry = sse.get(sid);
      if (entry === undefined) {
        res.writeHead(404).end('no such session');
        return;
      }
      entry.headers = req.headers;
      await entry.transport.handlePostMessage(req, res, parsed);
      return;
    }
    res.writeHead(404).end('not found');
  }

  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    sseUrl: `http://127.0.0.1:${port}/sse`,
    calls,
    requests,
    sessions,
    close: async () => {
      for (const { transport } of streamable.values()) await transport.close().catch(() => undefined);
      for (const { transport } of sse.values()) await transport.close().catch(() => undefined);
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

/** A port nothing listens on (bound, then closed): a server that is down. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
