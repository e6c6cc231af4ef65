/**
 * The Claude Code child's whole environment. The SDK's `env` replaces the inherited environment, so
 * this allowlist is all the agent (and every command it runs) can see: no service secrets.
 */
export interface ChildEnvInput {
  /** PATH of the service, so the agent finds the same tools (python3, git, node, ...). */
  path: string | undefined;
  /** Per-session HOME: Claude Code keeps its transcript there, outside the workspace. */
  home: string;
  /** Per-session temporary directory. */
  tmpdir: string;
  /** LANG/LC_ALL/TZ of the service, if set. */
  locale: { LANG?: string | undefined; LC_ALL?: string | undefined; TZ?: string | undefined };
  /** Model-provider variables only (see config/provider.ts). */
  providerEnv: Record<string, string>;
  /** CLAUDE_CODE_MAX_RETRIES, when configured. */
  modelMaxRetries: number | undefined;
  /** API_TIMEOUT_MS: how long Claude Code waits for one model request, when configured. */
  modelTimeoutMs: number | undefined;
  /** Identifies this service in Claude Code's User-Agent. */
  clientApp: string;
}

/** Builds the allowlisted environment for one run. Pure: same input, same output. */
export function buildChildEnv(input: ChildEnvInput): Record<string, string> {
  const env: Record<string, string> = {
    PATH: input.path ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: input.home,
    TMPDIR: input.tmpdir,
    LANG: input.locale.LANG ?? 'C.UTF-8',
    // Headless service: no update checks, telemetry, error reports or other non-essential calls.
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    // No auto memory: ~2 KB more prompt on every model request, asking for writes outside the workspace.
    CLAUDE_CODE_DISABLE_AUTO_MEMORY: '1',
    CLAUDE_AGENT_SDK_CLIENT_APP: input.clientApp,
    ...input.providerEnv,
  };
  if (input.locale.LC_ALL) env.LC_ALL = input.locale.LC_ALL;
  if (input.locale.TZ) env.TZ = input.locale.TZ;
  if (input.modelMaxRetries !== undefined) env.CLAUDE_CODE_MAX_RETRIES = String(input.modelMaxRetries);
  // A model that stops answering (or trickles) then fails the request instead of holding the run until its own timeout.
  if (input.modelTimeoutMs !== undefined) env.API_TIMEOUT_MS = String(Math.max(1, Math.round(input.modelTimeoutMs)));
  return env;
}
