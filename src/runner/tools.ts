/**
 * Tool names a request may name in `allowed_tools`: Claude Code's real names plus the aliases the
 * original sample used (its defaults named tools that do not exist in Claude Code).
 */
import { ValidationError } from '../errors/index.js';
// Not mcp/index.js: this file reaches the API Lambda's bundle through http/.
import { isMcpToolName, parseMcpToolName, type McpToolRef } from '../mcp/tool-names.js';

/** Claude Code tools a headless coding agent can use. Interactive-only tools are left out on purpose. */
export const KNOWN_TOOLS = [
  'Bash',
  'Read',
  'Write',
  'Edit',
  'MultiEdit',
  'Glob',
  'Grep',
  'NotebookEdit',
  'WebFetch',
  'WebSearch',
  'TodoWrite',
  'TaskCreate',
  'TaskGet',
  'TaskUpdate',
  'TaskList',
  'TaskStop',
  'Agent',
  'Task',
  'BashOutput',
  'KillShell',
  'Monitor',
  'Skill',
  'ToolSearch',
  'ExitPlanMode',
  'EnterPlanMode',
] as const;

/** The original sample's names, mapped to the Claude Code tool that does that job. */
export const TOOL_ALIASES: Readonly<Record<string, string>> = { Replace: 'Edit', Search: 'Grep', List: 'Glob' };

/** Used when a request names no tools: read, write and run code, nothing that reaches the web. */
export const DEFAULT_TOOLS: readonly string[] = [
  'Bash',
  'Read',
  'Write',
  'Edit',
  'Glob',
  'Grep',
  'NotebookEdit',
  'TodoWrite',
  'TaskCreate',
  'TaskGet',
  'TaskUpdate',
  'TaskList',
];

const byLowerName = new Map<string, string>([
  ...KNOWN_TOOLS.map((name) => [name.toLowerCase(), name] as const),
  ...Object.entries(TOOL_ALIASES).map(([alias, name]) => [alias.toLowerCase(), name] as const),
]);

/** The entries of `allowed_tools` (comma string or array), trimmed, empty ones dropped. */
function entriesOf(input: string | readonly string[]): string[] {
  return (typeof input === 'string' ? input.split(',') : input).map((n) => n.trim()).filter((n) => n !== '');
}

/**
 * Turns `allowed_tools` (comma string or array; undefined for the default) into Claude Code names,
 * deduplicated in the order given. Matching ignores case; unknown names are a ValidationError that
 * lists the valid ones. MCP tools (`mcp__...`) are left to `mcpToolsOf`.
 */
export function resolveTools(input: string | readonly string[] | undefined): string[] {
  if (input === undefined) return [...DEFAULT_TOOLS];
  const names = entriesOf(input).filter((n) => !isMcpToolName(n));
  const unknown = names.filter((n) => !byLowerName.has(n.toLowerCase()));
  if (unknown.length > 0) {
    throw new ValidationError(
      `Unknown tool${unknown.length > 1 ? 's' : ''} in allowed_tools: ${unknown.map((n) => JSON.stringify(n)).join(', ')}. ` +
        `Valid names: ${KNOWN_TOOLS.join(', ')} (aliases: ${Object.entries(TOOL_ALIASES)
          .map(([a, n]) => `${a}→${n}`)
          .join(', ')}), and MCP tools as mcp__<server>__<tool>.`,
      { field: 'allowed_tools', unknown, valid: [...KNOWN_TOOLS], aliases: TOOL_ALIASES },
    );
  }
  return [...new Set(names.map((n) => byLowerName.get(n.toLowerCase()) as string))];
}

/**
 * The MCP tools `allowed_tools` names (`mcp__<server>__<tool>`, or `mcp__<server>` /
 * `mcp__<server>__*` for all of a server's); whether they exist is checked against the servers later.
 * @example mcpToolsOf('Bash,mcp__docs__search') // [{ server: 'docs', tool: 'search' }]
 */
export function mcpToolsOf(input: string | readonly string[] | undefined): McpToolRef[] {
  if (input === undefined) return [];
  const refs: McpToolRef[] = [];
  for (const name of entriesOf(input).filter(isMcpToolName)) {
    const ref = parseMcpToolName(name);
    if (ref === undefined) {
      throw new ValidationError(
        `allowed_tools: "${name.slice(0, 200)}" is not an MCP tool name; write mcp__<server>__<tool> for one tool, or mcp__<server> for all of a server's tools.`,
        { field: 'allowed_tools' },
      );
    }
    refs.push(ref);
  }
  return refs;
}
