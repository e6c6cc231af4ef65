/**
 * Claude Code's part of an invocation: its environment, its sandbox and its network (the broker
 * token and, when isolated, the egress proxy) opened before it and closed after it, whatever way
 * it ends.
 */
import type { CredentialBroker } from '../broker/index.js';
import { VERSION, type Config } from '../config/index.js';
import { eventsFromSdkMessage, newUsageState, type SessionEvents } from '../events/index.js';
import type { ValidInvocation } from '../http/invocation-request.js';
import type { Logger } from '../logging/index.js';
import { buildChildEnv, runAgent, type RunOutcome } from '../runner/index.js';
import { sandboxForRun, type SandboxStatus } from '../sandbox/index.js';
import type { EgressReport } from '../schemas/responses.js';
import type { SessionDirs } from '../workspace/index.js';
import type { ActiveRun } from './active-run.js';
import { openRunNetwork } from './run-network.js';

const CLIENT_APP = `claude-code-agent/${VERSION}`;

/** Host facts the child environment inherits (PATH, locale); read once by the caller. */
export interface HostEnv {
  PATH?: string | undefined;
  LANG?: string | undefined;
  LC_ALL?: string | undefined;
  TZ?: string | undefined;
}

/** What running the agent needs of the service. */
export interface AgentRunDeps {
  config: Config;
  events: SessionEvents;
  hostEnv: HostEnv;
  sandbox: SandboxStatus;
  /** Holds the model credential; runs get a token. */
  broker: CredentialBroker;
}

/** How the agent's run ended, and what its egress proxy refused (undefined: no allowlist). */
export interface AgentRunResult {
  outcome: RunOutcome;
  egress: EgressReport | undefined;
}

/**
 * Runs Claude Code for `run` in its session's folders, streaming its events; resolves when it ends.
 * @example const { outcome } = await runAgentFor(deps, { run, req, dirs, model, resume, log });
 */
export async function runAgentFor(
  deps: AgentRunDeps,
  job: { run: ActiveRun; req: ValidInvocation; dirs: SessionDirs; model: string | undefined; resume: string | undefined; log: Logger },
): Promise<AgentRunResult> {
  const { config, events } = deps;
  const { run, req, dirs, log } = job;
  const { sessionId, invocationId } = run;
  const usage = newUsageState();
  const network = await openRunNetwork(deps, invocationId, run.egress, (host, port) => {
    log.info({ host, port }, 'egress refused');
    events.emit(sessionId, invocationId, { type: 'egress.denied', data: { host, port } });
  });
  let outcome: RunOutcome;
  try {
    outcome = await runAgent(
      {
        prompt: req.prompt,
        permissionMode: req.permissionMode,
        tools: req.tools,
        maxTurns: req.maxTurns,
        maxBudgetUsd: req.maxBudgetUsd,
        timeoutMs: req.timeoutMs,
        model: job.model,
        resume: job.resume,
      },
      {
        workspace: dirs.workspace,
        env: buildChildEnv({
          path: deps.hostEnv.PATH,
          home: dirs.home,
          tmpdir: dirs.tmp,
          locale: deps.hostEnv,
          providerEnv: network.providerEnv,
          modelMaxRetries: config.modelMaxRetries,
          modelTimeoutMs: config.modelTimeoutMs,
          clientApp: CLIENT_APP,
        }),
        abortController: run.controller,
        claudePath: config.claudePath,
        sandbox: sandboxForRun(deps.sandbox, { dataDir: config.dataDir, home: dirs.home, tmp: dirs.tmp }, network.sandbox),
        stderr: (line) => log.debug({ stderr: line.trimEnd() }, 'claude stderr'),
        // Only `serve` has the route that answers approvals; on the bare runtime they are denied at once.
        ...(config.mode === 'serve'
          ? {
              approver: (tool: string, input: Record<string, unknown>, signal: AbortSignal) => run.approvals.request(tool, input, signal),
            }
          : {}),
      },
      {
        onMessage: (message) => {
          for (const draft of eventsFromSdkMessage(message, usage)) events.emit(sessionId, invocationId, draft);
        },
      },
    );
  } finally {
    await network.close().catch((err: unknown) => log.warn({ err }, 'could not close the egress proxy'));
  }
  return { outcome, egress: network.report() };
}
