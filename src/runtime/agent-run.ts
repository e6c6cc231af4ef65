/**
 * Claude Code's part of an invocation: its environment, its sandbox, its resource limits (a cgroup
 * and a watch that stops it at the first limit it goes over) and its network (the broker token and,
 * when isolated, the egress proxy); each opened before it and closed after it, whatever way it ends.
 */
import fs from 'node:fs/promises';
import type { CredentialBroker } from '../broker/index.js';
import { VERSION, type Config } from '../config/index.js';
import { eventsFromSdkMessage, newUsageState, type SessionEvents } from '../events/index.js';
import type { ValidInvocation } from '../http/invocation-request.js';
import type { Logger } from '../logging/index.js';
import type { McpHub, RunMcp } from '../mcp/index.js';
import { openRunLimits, type LimitHit, type LimitsSupport, type RunLimits } from '../limits/index.js';
import { buildChildEnv, runAgent, stoppedByLimit, type RunOutcome } from '../runner/index.js';
import { sandboxForRun, type SandboxStatus } from '../sandbox/index.js';
import type { EgressReport, McpReport } from '../schemas/responses.js';
import type { SessionDirs } from '../workspace/index.js';
import type { ActiveRun } from './active-run.js';
import { openRunNetwork } from './run-network.js';
import { budgetObserver } from './key-budget.js';

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
  /** Per-run resource limits of sandboxed runs; undefined: none (tests that build a bare service). */
  limits?: LimitsSupport | undefined;
  /** Holds the MCP servers' credentials and connections; runs get in-process proxies. */
  mcp?: McpHub | undefined;
}

/** How the agent's run ended, what its egress proxy refused (undefined: no allowlist) and what it did with MCP (undefined: no servers). */
export interface AgentRunResult {
  outcome: RunOutcome;
  egress: EgressReport | undefined;
  mcp?: McpReport | undefined;
}

type AgentJob = {
  run: ActiveRun;
  req: ValidInvocation;
  dirs: SessionDirs;
  model: string | undefined;
  resume: string | undefined;
  log: Logger;
};

/**
 * Runs Claude Code for `run` in its session's folders, streaming its events; resolves when it ends.
 * @example const { outcome } = await runAgentFor(deps, { run, req, dirs, model, resume, log });
 */
export async function runAgentFor(deps: AgentRunDeps, job: AgentJob): Promise<AgentRunResult> {
  const limits = await openLimits(deps, job);
  let result: AgentRunResult;
  let hit: LimitHit | undefined;
  try {
    result = await runWithEgress(deps, job, limits?.confine);
  } finally {
    // Nothing of the run outlives it.
    hit = await limits?.close();
  }
  if (hit === undefined) return result;
  job.log.warn({ limit: hit.stopReason }, 'the run went over a resource limit');
  // A limit found once the run had ended by itself (Claude Code OOM-killed, say) still names how it
  // ended; a cancel or timeout that came first keeps its own reason.
  const { stopReason } = result.outcome;
  if (stopReason === hit.stopReason || stopReason === 'cancelled' || stopReason === 'timeout') return result;
  return { ...result, outcome: stoppedByLimit(result.outcome, hit) };
}

async function runWithEgress(deps: AgentRunDeps, job: AgentJob, confine: RunLimits['confine'] | undefined): Promise<AgentRunResult> {
  const { config, events } = deps;
  const { run, req, dirs, log } = job;
  const { sessionId, invocationId } = run;
  const usage = newUsageState();
  const network = await openRunNetwork(
    deps,
    invocationId,
    run.egress,
    (host, port) => {
      log.info({ host, port }, 'egress refused');
      events.emit(sessionId, invocationId, { type: 'egress.denied', data: { host, port } });
    },
    run.meter === undefined ? undefined : budgetObserver(run.meter, run.controller),
  );
  let outcome: RunOutcome;
  // Connections to the run's MCP servers open when Claude Code first asks for their tools and close with the run.
  const mcp: RunMcp | undefined =
    run.mcp !== undefined && deps.mcp !== undefined ? deps.mcp.openRun(run.mcp, run.controller.signal) : undefined;
  try {
    // A run as another user must reach its proxy through the socket bound into its sandbox (the
    // socket's directory on the host stays private to the service).
    if (network.sandbox !== undefined && deps.limits?.user !== undefined) await fs.chmod(network.sandbox.socket, 0o666);
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
        sandbox: sandboxForRun(
          deps.sandbox,
          { dataDir: config.dataDir, sessionsBase: config.sessionsBase, home: dirs.home, tmp: dirs.tmp },
          network.sandbox,
        ),
        confine,
        mcp: mcp === undefined || run.mcp === undefined ? undefined : { servers: mcp.sdkServers, selection: run.mcp },
        stderr: (line) => log.debug({ stderr: line.trimEnd() }, 'claude stderr'),
        // Someone can answer approvals under `serve` (its route), and on the bare runtime with S3
        // storage (AgentCore: the API Lambda reads the events there and answers through a control
        // payload); otherwise they are denied at once rather than wait for an answer that cannot come.
        ...(config.mode === 'serve' || config.storage.kind === 's3'
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
    await mcp?.close().catch((err: unknown) => log.warn({ err }, 'could not close the mcp connections'));
    await network.close().catch((err: unknown) => log.warn({ err }, 'could not close the egress proxy'));
  }
  return { outcome, egress: network.report(), mcp: mcp?.report() };
}

/**
 * The limits of a sandboxed run: its cgroup, its directories handed to the run user, the watch
 * that aborts it (like a timeout: files so far are stored) at the first limit it goes over.
 */
async function openLimits(deps: AgentRunDeps, job: { run: ActiveRun; dirs: SessionDirs; log: Logger }): Promise<RunLimits | undefined> {
  if (deps.limits === undefined || deps.sandbox.kind !== 'bwrap') return undefined;
  const { run, dirs, log } = job;
  return openRunLimits(deps.limits, {
    name: `run-${run.invocationId}`,
    resources: run.resources,
    dirs: [dirs.workspace, dirs.home, dirs.tmp],
    maxEntries: deps.config.limits.maxRunEntries,
    onHit: (hit) => {
      log.info({ limit: hit.stopReason }, 'stopping the run: it went over a resource limit');
      if (!run.controller.signal.aborted) run.controller.abort(hit);
    },
    warn: (message) => log.warn(message),
  });
}
