/**
 * What a warm agent is started with, and so which requests it can serve: everything Claude Code is
 * given at start (mode, tools, turns, budget, model, the hosts its proxy lets through). A request
 * of another shape, or one that needs its workspace filled or a conversation resumed first, runs
 * cold as before.
 */

/** The options a warm agent was started with. */
export interface WarmShape {
  permissionMode: string;
  /** Claude Code tool names, in the order of the first request of this shape. */
  tools: string[];
  maxTurns: number;
  maxBudgetUsd: number;
  /** undefined: Claude Code's default for the provider. */
  model: string | undefined;
  /** Hosts the run may reach; undefined: every public host. */
  egress: string[] | undefined;
}

/**
 * One string per shape: equal for requests a warm agent of either can serve (tool and host order do not matter).
 * @example shapeKey({ permissionMode: 'acceptEdits', tools: ['Write', 'Read'], maxTurns: 50, maxBudgetUsd: 5, model: undefined, egress: undefined })
 */
export function shapeKey(shape: WarmShape): string {
  return JSON.stringify([
    shape.permissionMode,
    [...shape.tools].sort(),
    shape.maxTurns,
    shape.maxBudgetUsd,
    shape.model ?? null,
    shape.egress === undefined ? null : [...shape.egress].sort(),
  ]);
}

/** Why a request cannot use a warm agent at all (whatever the pool holds). */
export type NotEligible = 'continued_session' | 'repository' | 'inputs' | 'mcp' | 'resources' | 'budget' | 'would_wait';

/** What decides whether a request can use a warm agent, besides its shape. */
export interface RequestFacts {
  /** No session id was given (by the body or the AgentCore header): a new session. */
  isNew: boolean;
  /** A repository to clone, files to copy in, MCP servers: the workspace or tools are not the empty default. */
  repository: boolean;
  inputs: boolean;
  mcp: boolean;
  /** The run's resource limits are the server's (a key with lower caps runs cold). */
  defaultResources: boolean;
  /** The key has a spending limit: its run's budget may be capped below what the agent was started with. */
  keyBudget?: boolean;
  /** The run would wait behind its own key's runs (or be refused): an agent taken now would sit idle, or go to waste. */
  wouldWait?: boolean;
}

/**
 * Why the request must run cold, or undefined when a warm agent of its shape can serve it.
 * @example notEligible({ isNew: false, repository: false, inputs: false, mcp: false, defaultResources: true }) // 'continued_session'
 */
export function notEligible(facts: RequestFacts): NotEligible | undefined {
  if (!facts.isNew) return 'continued_session';
  if (facts.repository) return 'repository';
  if (facts.inputs) return 'inputs';
  if (facts.mcp) return 'mcp';
  if (!facts.defaultResources) return 'resources';
  if (facts.keyBudget === true) return 'budget';
  if (facts.wouldWait === true) return 'would_wait';
  return undefined;
}
