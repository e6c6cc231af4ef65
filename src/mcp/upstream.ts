/**
 * One run's side of one MCP server: the connection (opened on the first request Claude Code makes
 * through the proxy, closed with the run), the tools the run may see under the names Claude Code
 * gives them, and every call, bounded in time and size. A server that cannot be reached gives the
 * run no tools and the report says why; it never fails the run.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../logging/index.js';
import type { McpReport } from '../schemas/responses.js';
import { closeClient, connectServer, type ReachableServer } from './connect.js';
import { listAllTools } from './list-tools.js';
import { apiToolName, fitsToolName, MAX_TOOL_NAME_CHARS, mcpToolName } from './tool-names.js';

/** Most tools taken from one server (its list is paged). */
export const MAX_TOOLS = 1000;
/** Most characters of a tool result handed to the run; the rest is cut with a note. */
export const MAX_RESULT_CHARS = 1_000_000;

/** What a run's use of one server came to, for the output's metadata. */
export type UpstreamReport = McpReport['servers'][number];

/** One tool call as it ended, for counters (metrics). */
export interface ToolCallRecord {
  server: string;
  tool: string;
  ok: boolean;
  durationMs: number;
}

export class Upstream {
  private client: Promise<Client> | undefined;
  private listing: Promise<Tool[]> | undefined;
  /** Claude Code's name of each offered tool → the server's own name. */
  private readonly names = new Map<string, string>();
  /** Claude Code's names of the tools left out for being longer than the model API takes. */
  private skipped: string[] = [];
  private status: UpstreamReport['status'] = 'unused';
  private error: string | undefined;
  private calls = 0;
  private failed = 0;
  private closed = false;

  constructor(
    readonly server: ReachableServer,
    private readonly opts: {
      toolTimeoutMs: number;
      log: Logger;
      signal: AbortSignal;
      onCall?: ((call: ToolCallRecord) => void) | undefined;
    },
  ) {}

  /** The tools the run may use (already renamed); none when the server cannot be reached. */
  tools(): Promise<Tool[]> {
    this.listing ??= this.listTools().catch((err: unknown) => {
      this.unavailable(err);
      return [];
    });
    return this.listing;
  }

  /** Calls a tool by the name the run knows; failures come back as an error result, never a throw. */
  async call(name: string, args: Record<string, unknown> | undefined, signal: AbortSignal): Promise<CallToolResult> {
    await this.tools();
    const original = this.names.get(name);
    if (original === undefined) {
      return errorResult(`${name} is not a tool of the MCP server ${this.server.name} that this run may use.`);
    }
    const started = Date.now();
    this.calls += 1;
    let ok = false;
    try {
      const client = await this.connection();
      const result = (await client.callTool({ name: original, ...(args !== undefined ? { arguments: args } : {}) }, undefined, {
        timeout: this.opts.toolTimeoutMs,
        signal: AbortSignal.any([signal, this.opts.signal]),
      })) as CallToolResult;
      ok = result.isError !== true;
      return bounded(result);
    } catch (err) {
      const message = describe(err);
      this.opts.log.info({ server: this.server.name, tool: original, err: message }, 'mcp tool call failed');
      return errorResult(`The MCP server ${this.server.name} failed to run ${original}: ${message}`);
    } finally {
      if (!ok) this.failed += 1;
      this.opts.onCall?.({ server: this.server.name, tool: original, ok, durationMs: Date.now() - started });
    }
  }

  /** Ends the connection (the run is over). */
  async close(): Promise<void> {
    this.closed = true;
    const client = await this.client?.catch(() => undefined);
    if (client !== undefined) await closeClient(client);
  }

  report(): UpstreamReport {
    return {
      name: this.server.name,
      source: this.server.source,
      status: this.status,
      tools: [...this.names.keys()].slice(0, 100).map((t) => mcpToolName(this.server.name, t)),
      calls: this.calls,
      failed_calls: this.failed,
      ...(this.skipped.length > 0 ? { skipped_tools: this.skipped.slice(0, 100) } : {}),
      ...(this.error !== undefined ? { error: this.error } : {}),
    };
  }

  private connection(): Promise<Client> {
    if (this.closed) return Promise.reject(new Error('the run has ended'));
    this.client ??= connectServer(this.server, this.opts.log, this.opts.signal);
    return this.client;
  }

  private async listTools(): Promise<Tool[]> {
    const client = await this.connection();
    const { tools, cut } = await listAllTools(client, { signal: this.opts.signal });
    const offered: Tool[] = [];
    for (const tool of tools) {
      const name = apiToolName(tool.name);
      const wanted = this.server.tools === undefined || this.server.tools.has(name);
      // Two names that read the same once rewritten: the first one stays.
      if (!wanted || this.names.has(name) || offered.length >= MAX_TOOLS) continue;
      if (!fitsToolName(this.server.name, name)) {
        this.skipped.push(mcpToolName(this.server.name, name));
        continue;
      }
      this.names.set(name, tool.name);
      offered.push({ ...tool, name });
    }
    this.status = 'connected';
    if (cut !== undefined) {
      this.error = `${cut}; the run was offered the tools read until then`;
      this.opts.log.warn({ server: this.server.name, err: this.error }, 'mcp tool list cut');
    }
    if (this.skipped.length > 0) {
      this.opts.log.warn(
        { server: this.server.name, tools: this.skipped.slice(0, 20), count: this.skipped.length },
        `mcp tools left out: their names are longer than the ${MAX_TOOL_NAME_CHARS} characters the model API takes`,
      );
    }
    return offered;
  }

  private unavailable(err: unknown): void {
    this.status = 'unavailable';
    this.error = describe(err);
    this.opts.log.warn({ server: this.server.name, err: this.error }, 'mcp server unavailable: the run goes on without its tools');
  }
}

/** A tool result as the run gets it: text past MAX_RESULT_CHARS is cut, with a note saying so. */
export function bounded(result: CallToolResult): CallToolResult {
  const size = JSON.stringify(result).length;
  if (size <= MAX_RESULT_CHARS) return result;
  const text = result.content
    .map((part) => (part.type === 'text' ? part.text : `[${part.type}]`))
    .join('\n')
    .slice(0, MAX_RESULT_CHARS);
  return {
    ...(result.isError === true ? { isError: true } : {}),
    content: [{ type: 'text', text: `${text}\n[cut: the result was ${size} characters; the service passes at most ${MAX_RESULT_CHARS}]` }],
  };
}

function errorResult(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}

/** An error in a few words (the HTTP status first when there is one), without anything a server could make long. */
function describe(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const message = typeof code === 'number' && code >= 400 && code < 600 && !raw.includes(String(code)) ? `HTTP ${code}: ${raw}` : raw;
  return message.length <= 500 ? message : `${message.slice(0, 500)}...`;
}
