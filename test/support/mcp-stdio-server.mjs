/**
 * A stdio MCP server for tests: one tool, `env`, answers with the environment it was started with
 * (which should hold the operator's `env` and nothing else of the service's).
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const server = new McpServer({ name: 'stdio-test', version: '1.0.0' });
server.registerTool('env', { description: 'The environment of this server.' }, async () => ({
  content: [{ type: 'text', text: JSON.stringify(process.env) }],
}));
await server.connect(new StdioServerTransport());
