/**
 * The server Claude Code sees: an in-process MCP server handed to the Agent SDK (`type: 'sdk'`),
 * whose messages travel over Claude Code's own control channel. It forwards tools/list and
 * tools/call to the real server through the service's connection, so the run needs no route to
 * that server and never holds its URL, headers or tokens.
 */
import type { McpSdkServerConfigWithInstance } from '@anthropic-ai/claude-agent-sdk';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Upstream } from './upstream.js';

/** Claude Code's own timer for a tool call is set a little past the service's, so the service's message arrives first. */
const CLAUDE_TIMEOUT_MARGIN_MS = 5000;

/**
 * The SDK server config for one run's side of one MCP server (a fresh instance per run: an MCP
 * server object connects once).
 * @example options.mcpServers = { docs: proxyServer(upstream, 300_000) };
 */
export function proxyServer(upstream: Upstream, toolTimeoutMs: number): McpSdkServerConfigWithInstance {
  const name = upstream.server.name;
  const instance = new McpServer({ name, version: '1.0.0' }, { capabilities: { tools: {} } });
  instance.server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await upstream.tools() }));
  instance.server.setRequestHandler(CallToolRequestSchema, async (request, extra) =>
    upstream.call(request.params.name, request.params.arguments, extra.signal),
  );
  return { type: 'sdk', name, instance, timeout: toolTimeoutMs + CLAUDE_TIMEOUT_MARGIN_MS };
}
