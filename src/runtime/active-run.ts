/**
 * One invocation while it is queued or running: what the facade keeps per session (to cancel it
 * and answer its approvals) and what its run needs to know of it.
 */
import type { RunResources } from '../config/index.js';
import type { Claim } from '../durable/index.js';
import type { DomainPattern } from '../egress/index.js';
import type { McpPlan } from '../mcp/index.js';
import type { InvocationOutput, InvocationStatus } from '../schemas/responses.js';
import type { SessionStateRecord } from '../state/index.js';
import type { Approvals } from './approvals.js';
import type { InputSource } from './admission.js';
import type { GitPlan } from './git-admission.js';
import type { RunMeter } from '../usage/index.js';
import type { RunBudget } from './key-budget.js';
import type { WarmAgent } from './warm-agent.js';

/** A run in a session: queued or running. */
export interface ActiveRun {
  sessionId: string;
  invocationId: string;
  prompt: string;
  ownerKeyId: string | undefined;
  controller: AbortController;
  approvals: Approvals;
  /** Hosts the run may reach; undefined: the host's network. */
  egress: DomainPattern[] | undefined;
  /** What the run may use: the server's per-run limits, lowered by the key's caps. */
  resources: RunResources;
  /** The clone before the run and the push after it, with the credential (in memory only); undefined: neither. */
  git?: GitPlan | undefined;
  /** Objects of the artifact bucket copied into the workspace before the run; undefined: none. */
  inputs?: InputSource | undefined;
  /** The session held in the session store (durable state on); undefined: off. */
  claim?: Claim | undefined;
  /** Durable state is on but the store could not be reached: why this invocation is not saved. */
  unsaved?: string | undefined;
  /** The MCP servers of the run, reachable and checked; undefined or none: MCP is off for it. */
  mcp?: McpPlan | undefined;
  /** What the key's budgets granted the run; undefined: the run is no key's (or nothing is counted). */
  budget?: RunBudget | undefined;
  /** Counts what the run's model calls cost, as the broker forwards them. */
  meter?: RunMeter | undefined;
  /** The warm agent taken for this new session at admission; undefined: Claude Code starts when the run does. */
  warm?: WarmAgent | undefined;
}

/**
 * The session's state for the mirror, as of `at` (now by default); recovery passes what it knows
 * of an invocation from the record in the same shape.
 * @example states.write(stateRecord(run, 'running', null));
 */
export function stateRecord(
  run: Pick<ActiveRun, 'sessionId' | 'invocationId' | 'ownerKeyId' | 'prompt'>,
  status: InvocationStatus,
  output: InvocationOutput | null,
  at: Date = new Date(),
): SessionStateRecord {
  return {
    session_id: run.sessionId,
    owner: run.ownerKeyId ?? null,
    invocation_id: run.invocationId,
    status,
    prompt: run.prompt,
    updated_at: at.toISOString(),
    output,
  };
}
