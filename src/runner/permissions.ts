/**
 * Permission modes: the service's names (acceptEdits, acceptAll, manual) and the SDK's own, mapped
 * to what Claude Code gets. A headless run has nobody to ask, so every question Claude Code would put
 * to a user is answered at once by `canUseTool`: nothing is ever left waiting.
 */
import path from 'node:path';
import type { CanUseTool, PermissionMode } from '@anthropic-ai/claude-agent-sdk';
// The pure parts of mcp/, not its index: this file reaches the API Lambda's bundle through http/.
import { allowsTool, NO_SERVERS, toolRules, type McpSelection } from '../mcp/selection.js';
import { isMcpToolName } from '../mcp/tool-names.js';
import type { PermissionDenial } from '../schemas/responses.js';

export const PERMISSION_MODES = ['acceptEdits', 'acceptAll', 'manual', 'default', 'plan', 'bypassPermissions', 'dontAsk'] as const;
export type RequestPermissionMode = (typeof PERMISSION_MODES)[number];

/** One tool use the run refused, with the reason recorded for the caller (a public API shape). */
export type { PermissionDenial };

export type Verdict = { allow: true } | { allow: false; reason: string };

export interface PermissionPlan {
  /** The mode Claude Code itself runs in. */
  sdkMode: PermissionMode;
  /** Tools pre-approved by rule; Claude Code never asks about them (and `decide` is not consulted). */
  autoApproved: string[];
  /** Answers whatever Claude Code still asks; undefined: Claude Code's own rules decide alone. */
  decide: Decide | undefined;
}

/** Answers one tool use Claude Code asks about; may wait (a remote approver). */
export type Decide = (
  tool: string,
  input: Record<string, unknown>,
  blockedPath: string | undefined,
  signal: AbortSignal,
) => Verdict | Promise<Verdict>;

/** Asks a person (over the API) about a tool use. */
export type Approver = (tool: string, input: Record<string, unknown>, signal: AbortSignal) => Promise<Verdict>;

/** Input fields through which file tools name their target. */
const PATH_FIELDS = ['file_path', 'notebook_path', 'path'] as const;

/**
 * Maps a request's mode and tool list to Claude Code's mode, its pre-approved tools and an answer
 * for anything it still asks about. `acceptAll` and `bypassPermissions` approve through the callback
 * because Claude Code refuses `bypassPermissions` when the service runs as root. MCP tools (`mcp`:
 * the run's servers) count as allowed tools when the run may use them; they have no workspace to
 * stay in, so their inputs are not read as paths (a `path` of a remote repository is not a file here).
 */
export function planPermissions(
  mode: RequestPermissionMode,
  tools: readonly string[],
  workspace: string,
  approver?: Approver,
  mcp: McpSelection = NO_SERVERS,
): PermissionPlan {
  const allowed = new Set(tools);
  switch (mode) {
    case 'acceptAll':
    case 'bypassPermissions':
      return { sdkMode: 'acceptEdits', autoApproved: [], decide: () => ({ allow: true }) };
    case 'acceptEdits':
      // Claude Code approves edits inside the workspace itself; what it asks about is allowed when
      // the tool is allowed and stays inside the workspace.
      return {
        sdkMode: 'acceptEdits',
        autoApproved: [],
        decide: (tool, input, blockedPath) => {
          if (isMcpToolName(tool)) {
            return allowsTool(mcp, tool)
              ? { allow: true }
              : { allow: false, reason: `acceptEdits: ${tool} is not an MCP tool this run may use.` };
          }
          if (!allowed.has(tool)) return { allow: false, reason: `acceptEdits: ${tool} is not in allowed_tools.` };
          const outside = [blockedPath, ...PATH_FIELDS.map((f) => input[f])].find(
            (p): p is string => typeof p === 'string' && isOutside(workspace, p),
          );
          if (outside !== undefined) {
            return {
              allow: false,
              reason: `acceptEdits: ${tool} reaches outside the workspace (${outside}); use permission_mode "acceptAll" to allow that.`,
            };
          }
          return { allow: true };
        },
      };
    case 'dontAsk':
      // Pre-approved tools run, anything else is refused by Claude Code without asking.
      return { sdkMode: 'dontAsk', autoApproved: [...tools, ...toolRules(mcp)], decide: undefined };
    case 'plan':
      return { sdkMode: 'plan', autoApproved: [], decide: (tool) => ({ allow: false, reason: `plan: ${tool} is not run in plan mode.` }) };
    case 'manual':
    case 'default':
      return {
        sdkMode: 'default',
        autoApproved: [],
        decide: approver
          ? (tool, input, _blockedPath, signal) => approver(tool, input, signal)
          : (tool) => ({ allow: false, reason: `${mode}: ${tool} needs approval and this run has no approver, so it was denied.` }),
      };
  }
}

function isOutside(workspace: string, target: string): boolean {
  const relative = path.relative(workspace, path.resolve(workspace, target));
  return relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
}

/** Wraps a plan's answer as the SDK's `canUseTool`, recording every denial. */
export function toCanUseTool(decide: NonNullable<PermissionPlan['decide']>, denials: PermissionDenial[]): CanUseTool {
  return async (toolName, input, options) => {
    const verdict = await decide(toolName, input, options.blockedPath, options.signal);
    if (verdict.allow) return { behavior: 'allow', updatedInput: input };
    denials.push({ tool_name: toolName, tool_use_id: options.toolUseID, reason: verdict.reason });
    return { behavior: 'deny', message: verdict.reason };
  };
}
