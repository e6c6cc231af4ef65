/** The agent runner: Claude Code through the Agent SDK, one run per invocation. */
export { driveRun, runAgent, type DriveOptions, type RunHooks } from './run.js';
export { buildSdkOptions, type RunSpec, type RunContext } from './options.js';
export { buildChildEnv, type ChildEnvInput } from './env.js';
export { resolveTools, mcpToolsOf, KNOWN_TOOLS, TOOL_ALIASES, DEFAULT_TOOLS } from './tools.js';
export {
  PERMISSION_MODES,
  planPermissions,
  type RequestPermissionMode,
  type PermissionDenial,
  type Approver,
  type Verdict,
} from './permissions.js';
export {
  isLimitStop,
  outcomeWithoutRun,
  stoppedByLimit,
  type LimitStop,
  type RunOutcome,
  type StopReason,
  type TokenUsage,
} from './outcome.js';
