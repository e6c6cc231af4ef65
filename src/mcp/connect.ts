/**
 * A connection from the service to one MCP server: an MCP client over streamable HTTP, SSE or
 * stdio, with the fetch that carries the operator's credential. Made per run (and per admission
 * check): an MCP session can hold state on the server, so no run ever continues another's.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { VERSION } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import type { FetchLike } from './fetch.js';
import type { SelectedServer } from './selection.js';

/** How long connecting (and the MCP handshake) may take before the server counts as unavailable. */
export const CONNECT_TIMEOUT_MS = 15_000;

/** A server ready to connect to: its selection and the fetch that reaches it (remote servers). */
export interface ReachableServer extends SelectedServer {
  fetch: FetchLike | undefined;
}

/**
 * Connects to the server and completes the MCP handshake; the caller closes the client.
 * @example const client = await connectServer(server, log, signal); await client.listTools();
 */
export async function connectServer(server: ReachableServer, log: Logger, signal?: AbortSignal): Promise<Client> {
  const client = new Client({ name: 'claude-code-agent', version: VERSION });
  const transport = transportFor(server, log);
  try {
    await client.connect(transport, { timeout: CONNECT_TIMEOUT_MS, ...(signal ? { signal } : {}) });
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
  return client;
}

/**
 * Ends the connection: a streamable HTTP session is ended on the server too (best effort), so
 * whatever state the run left there goes with it.
 */
export async function closeClient(client: Client): Promise<void> {
  const transport = client.transport;
  if (transport instanceof StreamableHTTPClientTransport && transport.sessionId !== undefined) {
    await Promise.race([transport.terminateSession().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
  }
  await client.close().catch(() => undefined);
}

function transportFor(server: ReachableServer, log: Logger): Transport {
  const { decl } = server;
  if (decl.type === 'stdio') {
    // The server's environment: the SDK's few defaults (PATH, HOME, USER...) and the operator's `env`, nothing else of the service's.
    const transport = new StdioClientTransport({ command: decl.command, args: decl.args, env: decl.env, stderr: 'pipe' });
    transport.stderr?.on('data', (chunk: Buffer) =>
      log.debug({ server: server.name, stderr: chunk.toString('utf8').trimEnd() }, 'mcp server stderr'),
    );
    return transport;
  }
  const url = new URL(decl.url);
  const opts = server.fetch !== undefined ? { fetch: server.fetch } : {};
  return decl.type === 'http' ? new StreamableHTTPClientTransport(url, opts) : new SSEClientTransport(url, opts);
}
