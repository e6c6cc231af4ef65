/**
 * Which MCP servers and tools a request gets, decided from the request and the operator's
 * configuration alone (no I/O): the servers it names in `mcp_servers` (omitted: the operator's
 * `default: true` servers), narrowed to the tools it names in `allowed_tools`. Anything unknown or
 * not allowed is a 400 that names what exists.
 */
import type { McpConfig, McpServerDecl } from '../config/index.js';
import { ValidationError } from '../errors/index.js';
import { fitsToolName, MAX_TOOL_NAME_CHARS, mcpToolName, parseMcpToolName, type McpToolRef } from './tool-names.js';

/** A remote server a request brings along (only when the operator allows it). */
export interface RequestServer {
  name: string;
  url: string;
  headers: Record<string, string>;
}

/** One entry of `mcp_servers`: a declared server's name, or a server of the request's own. */
export type McpServerRequest = string | RequestServer;

/** A server enabled for one run. */
export interface SelectedServer {
  name: string;
  /** `config`: the operator declared it; `request`: the request brought it. */
  source: 'config' | 'request';
  decl: McpServerDecl;
  /** The tools the request named (as Claude Code names them, without the prefix); undefined: all of them. */
  tools: ReadonlySet<string> | undefined;
}

/** The MCP part of a run: its servers (none: MCP stays off, as before). */
export interface McpSelection {
  servers: SelectedServer[];
}

/** No servers. */
export const NO_SERVERS: McpSelection = { servers: [] };

/** What a check of names needs of the configuration: the declared names, their `default`, and whether requests may bring servers. */
export interface McpOutline {
  servers: Record<string, { default: boolean }>;
  allowRequestServers: boolean;
}

/**
 * The servers and tools of one request.
 * @example selectMcpServers({ servers: ['docs'], tools: [{ server: 'docs', tool: 'search' }] }, config.mcp)
 */
export function selectMcpServers(req: { servers: McpServerRequest[] | undefined; tools: McpToolRef[] }, config: McpConfig): McpSelection {
  return {
    servers: checkMcpRequest(req, config).map(({ entry, tools }) => {
      if (typeof entry !== 'string') {
        const decl: McpServerDecl = { type: 'http', url: entry.url, headers: entry.headers, auth: undefined, default: false };
        return { name: entry.name, source: 'request', decl, tools };
      }
      return { name: entry, source: 'config', decl: config.servers[entry] as McpServerDecl, tools };
    }),
  };
}

/**
 * Checks a request's servers and tool names against the declared names (no I/O, no credentials:
 * the API Lambda runs it too); 400 for anything unknown or not allowed.
 * @example checkMcpRequest({ servers: ['docs'], tools: [] }, { servers: { docs: { default: false } }, allowRequestServers: false })
 */
export function checkMcpRequest(
  req: { servers: McpServerRequest[] | undefined; tools: McpToolRef[] },
  config: McpOutline,
): { entry: McpServerRequest; tools: ReadonlySet<string> | undefined }[] {
  const declared = Object.keys(config.servers);
  const known = declared.length > 0 ? `this service declares: ${declared.join(', ')}` : 'this service declares no MCP servers';
  const chosen = new Map<string, McpServerRequest>();
  const entries = req.servers ?? declared.filter((name) => config.servers[name]?.default === true);
  for (const entry of entries) {
    const name = typeof entry === 'string' ? entry : entry.name;
    if (chosen.has(name)) throw new ValidationError(`mcp_servers names "${name}" twice; name each server once.`, { field: 'mcp_servers' });
    if (typeof entry === 'string') {
      if (config.servers[entry] === undefined) {
        throw new ValidationError(`Unknown MCP server "${shown(entry)}" in mcp_servers; ${known}.`, {
          field: 'mcp_servers',
          known: declared,
        });
      }
    } else if (!config.allowRequestServers) {
      throw new ValidationError(
        `mcp_servers: this service does not take MCP servers from requests (the operator allows it with --mcp-allow-request-servers); ` +
          `name a declared server instead (${known}).`,
        { field: 'mcp_servers', known: declared },
      );
    } else if (config.servers[name] !== undefined) {
      throw new ValidationError(`mcp_servers: "${name}" is the name of a server this service declares; give your server another name.`, {
        field: 'mcp_servers',
      });
    }
    chosen.set(name, entry);
  }

  const named = new Map<string, Set<string> | 'all'>();
  for (const ref of req.tools) {
    if (!chosen.has(ref.server)) {
      const hint =
        config.servers[ref.server] !== undefined
          ? `add "${ref.server}" to mcp_servers to enable it`
          : `no MCP server "${shown(ref.server)}" is enabled (${known})`;
      throw new ValidationError(`allowed_tools names ${shown(mcpToolName(ref.server, ref.tool ?? '*'))}, but ${hint}.`, {
        field: 'allowed_tools',
        known: declared,
      });
    }
    if (ref.tool !== undefined && !fitsToolName(ref.server, ref.tool)) {
      const full = mcpToolName(ref.server, ref.tool);
      throw new ValidationError(
        `allowed_tools names ${shown(full)}, which is ${full.length} characters: the model API takes tool names of at most ${MAX_TOOL_NAME_CHARS}, ` +
          `so the service never offers this tool (it would fail every model call). Name a tool whose full name fits, or ask the server's operator for shorter names.`,
        { field: 'allowed_tools', limit: MAX_TOOL_NAME_CHARS },
      );
    }
    const seen = named.get(ref.server);
    if (ref.tool === undefined) named.set(ref.server, 'all');
    else if (seen !== 'all') named.set(ref.server, (seen ?? new Set<string>()).add(ref.tool));
  }
  return [...chosen].map(([name, entry]) => {
    const tools = named.get(name);
    return { entry, tools: tools === 'all' ? undefined : tools };
  });
}

/**
 * Whether a run may use the Claude Code tool `name` (an enabled server's tool, not narrowed away).
 * @example allowsTool(selection, 'mcp__docs__search') // true
 */
export function allowsTool(selection: McpSelection, name: string): boolean {
  const ref = parseMcpToolName(name);
  if (ref?.tool === undefined) return false;
  const server = selection.servers.find((s) => s.name === ref.server);
  return server !== undefined && (server.tools === undefined || server.tools.has(ref.tool));
}

/** The permission rules that pre-approve a selection's tools (`dontAsk`): a server's, or its named tools. */
export function toolRules(selection: McpSelection): string[] {
  return selection.servers.flatMap((s) => (s.tools === undefined ? [`mcp__${s.name}`] : [...s.tools].map((t) => mcpToolName(s.name, t))));
}

function shown(name: string): string {
  return name.length <= 80 ? name : `${name.slice(0, 80)}...`;
}
