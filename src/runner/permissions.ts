/**
 * Permission modes: the service's names (acceptEdits, acceptAll, manual) and the SDK's own, mapped
 * to what Claude Code gets. A headless run has nobody to ask, so every question Claude Code would put
 * to a user is answered at once by `canUseTool`: nothing is ever left waiting.
 */
import type { CanUseTool, PermissionMode } from '@anthropic-ai/claude-agent-sdk';

export const PERMISSION_MODES = [
  'acceptEdits',
  'acceptAll',
  'manual',
  'default',
  'plan',
  'bypassPermissions',
  'dontAsk',
] as const;
export type RequestPermissionMode = (typeof PERMISSION_MODES)[number];

/** One tool use the run refused, with the reason recorded for the caller. */
export interface PermissionDenial {
  tool_name: string;
  tool_use_id: string;
  reason: string;
}

export interface PermissionPlan {
  /** The mode Claude Code itself runs in. */
  sdkMode: PermissionMode;
  /** Tools pre-approved by rule (Claude Code never asks about these). */
  autoApproved: string[];
  /** Answers whatever Claude Code still asks. */
  decide: (tool: string) => { allow: true } | { allow: false; reason: string };
}

/**
 * Maps a request's mode and tool list to Claude Code's mode, its pre-approved tools and an answer
 * for anything it still asks about. `acceptAll` and `bypassPermissions` approve through the callback
 * because Claude Code refuses `bypassPermissions` when the service runs as root.
 */
export function planPermissions(mode: RequestPermissionMode, tools: readonly string[]): PermissionPlan {
  const allowed = new Set(tools);
  const approveAll = () => ({ allow: true }) as const;
  switch (mode) {
    case 'acceptAll':
    case 'bypassPermissions':
      return { sdkMode: 'default', autoApproved: [...tools], decide: approveAll };
    case 'acceptEdits':
      return {
        sdkMode: 'acceptEdits',
        autoApproved: [...tools],
        decide: (tool) =>
          allowed.has(tool)
            ? { allow: false, reason: `acceptEdits: Claude Code asked before this ${tool} call (e.g. it reaches outside the workspace); use permission_mode "acceptAll" to allow such calls.` }
            : { allow: false, reason: `acceptEdits: ${tool} is not in allowed_tools.` },
      };
    case 'dontAsk':
      return { sdkMode: 'dontAsk', autoApproved: [...tools], decide: () => ({ allow: false, reason: 'dontAsk: not pre-approved.' }) };
    case 'plan':
      return { sdkMode: 'plan', autoApproved: [], decide: () => ({ allow: false, reason: 'plan: tools that change anything are not run in plan mode.' }) };
    case 'manual':
    case 'default':
      return {
        sdkMode: 'default',
        autoApproved: [],
        decide: (tool) => ({ allow: false, reason: `${mode}: ${tool} needs approval and this run has no approver, so it was denied.` }),
      };
  }
}

/** Wraps a plan as the SDK's `canUseTool`, recording every denial. */
export function toCanUseTool(plan: PermissionPlan, denials: PermissionDenial[]): CanUseTool {
  return async (toolName, input, options) => {
    const verdict = plan.decide(toolName);
    if (verdict.allow) return { behavior: 'allow', updatedInput: input };
    denials.push({ tool_name: toolName, tool_use_id: options.toolUseID, reason: verdict.reason });
    return { behavior: 'deny', message: verdict.reason };
  };
}
