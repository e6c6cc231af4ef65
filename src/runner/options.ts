/**
 * The one pure function that turns a validated run request into Agent SDK options.
 */
import type { McpSdkServerConfigWithInstance, Options } from '@anthropic-ai/claude-agent-sdk';
import type { McpSelection } from '../mcp/index.js';
import { bwrapSpawner, type SandboxRun, type SpawnConfinement } from '../sandbox/index.js';
import { planPermissions, toCanUseTool, type Approver, type PermissionDenial, type RequestPermissionMode } from './permissions.js';

export interface RunSpec {
  prompt: string;
  permissionMode: RequestPermissionMode;
  /** Claude Code tool names (already resolved from aliases). */
  tools: string[];
  maxTurns: number;
  maxBudgetUsd: number;
  timeoutMs: number;
  /** Model to ask for; undefined: Claude Code's default for the provider. */
  model: string | undefined;
  /** Claude Code session to resume (a continued conversation). */
  resume: string | undefined;
}

export interface RunContext {
  workspace: string;
  env: Record<string, string>;
  abortController: AbortController;
  claudePath: string | undefined;
  /** Receives every permission denial of the run. */
  denials: PermissionDenial[];
  stderr?: (line: string) => void;
  /** Answers tool uses that need approval (manual and default modes); none: they are denied. */
  approver?: Approver;
  /** The run's bubblewrap sandbox; undefined: Claude Code runs directly (`--no-sandbox`). */
  sandbox?: SandboxRun | undefined;
  /** Resource limits around the sandbox (src/limits); only with a sandbox. */
  confine?: SpawnConfinement | undefined;
  /** The run's MCP servers (in-process proxies of the service's connections) and what it may use of them. */
  mcp?: { servers: Record<string, McpSdkServerConfigWithInstance>; selection: McpSelection } | undefined;
}

/** Builds the `query()` options for one run. */
export function buildSdkOptions(spec: RunSpec, ctx: RunContext): Options {
  const plan = planPermissions(spec.permissionMode, spec.tools, ctx.workspace, ctx.approver, ctx.mcp?.selection);
  const options: Options = {
    cwd: ctx.workspace,
    env: ctx.env,
    abortController: ctx.abortController,
    // Nothing from ~/.claude or the workspace's .claude/ configures the run: the request does.
    settingSources: [],
    strictMcpConfig: true,
    systemPrompt: { type: 'preset', preset: 'claude_code' },
    // `tools` limits what exists; `allowedTools` only pre-approves.
    tools: spec.tools,
    allowedTools: plan.autoApproved,
    permissionMode: plan.sdkMode,
    maxTurns: spec.maxTurns,
    maxBudgetUsd: spec.maxBudgetUsd,
  };
  // Only in-process servers: no URL, header or command of an MCP server reaches Claude Code.
  if (ctx.mcp !== undefined && Object.keys(ctx.mcp.servers).length > 0) options.mcpServers = ctx.mcp.servers;
  if (plan.decide !== undefined) options.canUseTool = toCanUseTool(plan.decide, ctx.denials);
  if (spec.model !== undefined) options.model = spec.model;
  if (spec.resume !== undefined) options.resume = spec.resume;
  if (ctx.claudePath !== undefined) options.pathToClaudeCodeExecutable = ctx.claudePath;
  if (ctx.stderr !== undefined) options.stderr = ctx.stderr;
  // WebFetch first asks api.anthropic.com whether a domain is blocklisted; behind an allowlist that
  // call is refused (on Bedrock or a gateway) and WebFetch would fail: the allowlist is the policy.
  if (ctx.sandbox?.egress?.restricted === true) options.settings = { skipWebFetchPreflight: true };
  if (ctx.sandbox !== undefined) {
    // The SDK reads no stderr from a custom spawn: the spawner forwards it.
    options.spawnClaudeCodeProcess = bwrapSpawner({
      ...ctx.sandbox,
      workspace: ctx.workspace,
      confine: ctx.confine,
      ...(ctx.stderr !== undefined ? { onStderr: ctx.stderr } : {}),
    });
  }
  return options;
}
