/**
 * Claude Code's part of an invocation: its surroundings (agent-setup.ts: limits, network, sandbox,
 * environment) opened before it and closed after it, whatever way it ends; on a warm agent taken
 * at admission (warm-agent.ts) when the run has one, else started now.
 */
import { eventsFromSdkMessage, newUsageState } from '../events/index.js';
import type { ValidInvocation } from '../http/invocation-request.js';
import type { LimitHit } from '../limits/index.js';
import type { Logger } from '../logging/index.js';
import { driveRun, runAgent, stoppedByLimit, type RunHooks, type RunOutcome } from '../runner/index.js';
import type { EgressReport, McpReport } from '../schemas/responses.js';
import type { SessionDirs } from '../workspace/index.js';
import type { ActiveRun } from './active-run.js';
import { approvalsAnswered, openAgent, type AgentBinding, type AgentRunDeps } from './agent-setup.js';

export type { AgentRunDeps, HostEnv } from './agent-setup.js';
import { budgetObserver } from './key-budget.js';
import type { WarmAgent } from './warm-agent.js';

/** How the agent's run ended, what its egress proxy refused (undefined: no allowlist) and what it did with MCP (undefined: no servers). */
export interface AgentRunResult {
  outcome: RunOutcome;
  egress: EgressReport | undefined;
  mcp?: McpReport | undefined;
  /** The run was served by a warm agent (started before the request came). */
  warmStart: boolean;
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
  const warm = job.run.warm;
  if (warm !== undefined) {
    const served = await runOnWarm(deps, job, warm);
    if (served !== undefined) return served;
    // Its process died before it read the prompt: nothing ran, so the run starts as any other.
    job.log.warn('the warm agent ended before it took the prompt; starting Claude Code for the run');
  }
  return runCold(deps, job);
}

async function runCold(deps: AgentRunDeps, job: AgentJob): Promise<AgentRunResult> {
  const { run, req, log } = job;
  const agent = await openAgent(deps, placeOf(deps, job), log);
  agent.relay.bind(bindingOf(deps, job));
  let outcome: RunOutcome;
  let hit: LimitHit | undefined;
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
      agent.ctx,
      eventHooks(deps, run),
      // The run's: its timeout aborts the run (and, through the relay, Claude Code), as a cancel does.
      run.controller,
    );
  } finally {
    hit = await agent.close();
  }
  return withLimitHit({ outcome, egress: agent.network.report(), mcp: agent.mcp?.report(), warmStart: false }, hit, log);
}

/** The run on its warm agent; undefined when the agent's process was gone before it took the prompt. */
async function runOnWarm(deps: AgentRunDeps, job: AgentJob, warm: WarmAgent): Promise<AgentRunResult | undefined> {
  const { run, req, log } = job;
  let messages = 0;
  let outcome: RunOutcome;
  let hit: LimitHit | undefined;
  try {
    const hooks = eventHooks(deps, run);
    outcome = await driveRun(
      () => warm.claim(bindingOf(deps, job), req.prompt),
      { timeoutMs: req.timeoutMs, controller: run.controller, denials: warm.denials },
      { onMessage: (m) => (messages++, hooks.onMessage?.(m)) },
    );
  } finally {
    hit = await warm.finish();
  }
  if (messages === 0 && !run.controller.signal.aborted) return undefined;
  return withLimitHit({ outcome, egress: warm.agent.network.report(), mcp: undefined, warmStart: true }, hit, log);
}

/** Where and as what a cold run's agent runs. */
function placeOf(deps: AgentRunDeps, job: AgentJob) {
  const { run, dirs } = job;
  return {
    name: `run-${run.invocationId}`,
    dirs,
    resources: run.resources,
    egress: run.egress,
    mcp: run.mcp,
    approvals: approvalsAnswered(deps.config),
  };
}

/** What the run plugs into its agent: its controller, its log, its events, its budget, its approvals. */
function bindingOf(deps: AgentRunDeps, job: AgentJob): AgentBinding {
  const { run, log } = job;
  const { sessionId, invocationId } = run;
  return {
    controller: run.controller,
    log,
    onDenied: (host, port) => {
      log.info({ host, port }, 'egress refused');
      deps.events.emit(sessionId, invocationId, { type: 'egress.denied', data: { host, port } });
    },
    observer: run.meter === undefined ? undefined : budgetObserver(run.meter, run.controller),
    approver: (tool, input, signal) => run.approvals.request(tool, input, signal),
  };
}

function eventHooks(deps: AgentRunDeps, run: ActiveRun): RunHooks {
  const usage = newUsageState();
  return {
    onMessage: (message) => {
      for (const draft of eventsFromSdkMessage(message, usage)) deps.events.emit(run.sessionId, run.invocationId, draft);
    },
  };
}

/**
 * A limit found once the run had ended by itself (Claude Code OOM-killed, say) still names how it
 * ended; a cancel or timeout that came first keeps its own reason.
 */
function withLimitHit(result: AgentRunResult, hit: LimitHit | undefined, log: Logger): AgentRunResult {
  if (hit === undefined) return result;
  log.warn({ limit: hit.stopReason }, 'the run went over a resource limit');
  const { stopReason } = result.outcome;
  if (stopReason === hit.stopReason || stopReason === 'cancelled' || stopReason === 'timeout') return result;
  return { ...result, outcome: stoppedByLimit(result.outcome, hit) };
}
