/**
 * MCP tool names as Claude Code spells them, `mcp__<server>__<tool>`, and what a request may write
 * in `allowed_tools`: one tool, or all of a server's tools as `mcp__<server>` or `mcp__<server>__*`.
 */
import { MCP_SERVER_NAME } from '../config/index.js';

/** The prefix of every MCP tool name. */
export const MCP_PREFIX = 'mcp__';

/**
 * Longest tool name the model API takes (`tools.N.custom.name: String should have at most 64
 * characters`, on every turn): a longer `mcp__<server>__<tool>` would fail the whole run.
 */
export const MAX_TOOL_NAME_CHARS = 64;

/** One `allowed_tools` entry naming MCP tools: a server and one tool of it, or all of them. */
export interface McpToolRef {
  server: string;
  /** undefined: every tool of the server. */
  tool: string | undefined;
}

/** Whether an `allowed_tools` entry names MCP tools (the rest are Claude Code's own tools). */
export function isMcpToolName(name: string): boolean {
  return name.startsWith(MCP_PREFIX);
}

/**
 * Reads `mcp__<server>`, `mcp__<server>__*` or `mcp__<server>__<tool>`; undefined when malformed.
 * @example parseMcpToolName('mcp__docs__search') // { server: 'docs', tool: 'search' }
 */
export function parseMcpToolName(name: string): McpToolRef | undefined {
  if (!isMcpToolName(name)) return undefined;
  const rest = name.slice(MCP_PREFIX.length);
  const cut = rest.indexOf('__');
  const server = cut === -1 ? rest : rest.slice(0, cut);
  const tool = cut === -1 ? undefined : rest.slice(cut + 2);
  if (!MCP_SERVER_NAME.test(server)) return undefined;
  if (tool === '*' || tool === undefined) return { server, tool: undefined };
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(tool)) return undefined;
  return { server, tool };
}

/**
 * The name Claude Code gives a server's tool: `mcp__<server>__<tool>`.
 * @example mcpToolName('docs', 'search') // 'mcp__docs__search'
 */
export function mcpToolName(server: string, tool: string): string {
  return `${MCP_PREFIX}${server}__${tool}`;
}

/**
 * Whether Claude Code's name of the tool fits the model API; a tool whose name does not is never offered.
 * @example fitsToolName('docs', 'search') // true
 */
export function fitsToolName(server: string, tool: string): boolean {
  return mcpToolName(server, tool).length <= MAX_TOOL_NAME_CHARS;
}

/**
 * A tool name as the model API accepts it (letters, digits, `_`, `-`): MCP servers may use dots
 * or slashes, which Claude Code would rewrite; the proxy offers the rewritten name and maps back.
 */
export function apiToolName(tool: string): string {
  return tool.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 128);
}
