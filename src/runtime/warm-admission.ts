/**
 * Which warm agent (if any) a request takes at admission: a new session whose request needs
 * nothing put in its workspace first and whose limits are the server's, of a shape the pool keeps.
 */
import { runModel, type Config, type RunResources } from '../config/index.js';
import type { DomainPattern } from '../egress/index.js';
import type { ValidInvocation } from '../http/invocation-request.js';
import { notEligible, type WarmPool, type WarmShape } from '../warm/index.js';
import type { WarmAgent } from './warm-agent.js';

/**
 * The shape a warm agent must have been started with to serve `req`.
 * @example shapeOf(parseInvocation({ prompt: 'x' }, config.limits), undefined, config) // the default shape
 */
export function shapeOf(
  req: Pick<ValidInvocation, 'permissionMode' | 'tools' | 'maxTurns' | 'maxBudgetUsd' | 'model'>,
  egress: DomainPattern[] | undefined,
  config: Pick<Config, 'model' | 'provider'>,
): WarmShape {
  return {
    permissionMode: req.permissionMode,
    tools: [...req.tools],
    maxTurns: req.maxTurns,
    maxBudgetUsd: req.maxBudgetUsd,
    model: runModel(req.model, config),
    egress: egress === undefined ? undefined : [...egress],
  };
}

/** What admission knows of the request when it asks the pool. */
export interface WarmAsk {
  req: ValidInvocation;
  isNew: boolean;
  egress: DomainPattern[] | undefined;
  inputs: boolean;
  mcp: boolean;
  /** The key's resource caps; undefined: the server's. */
  resources: RunResources | undefined;
  /** The key has a day or month budget. */
  keyBudget: boolean;
  /** The run would not get a slot at once. */
  wouldWait: boolean;
}

/**
 * Takes a warm agent for the request, or undefined (it runs cold); counts the ask either way.
 * @example const warm = takeWarm(pool, { req, isNew: true, egress, inputs: false, mcp: false, resources: undefined }, config)
 */
export function takeWarm(pool: WarmPool<WarmAgent> | undefined, ask: WarmAsk, config: Config): WarmAgent | undefined {
  if (pool === undefined || !pool.enabled) return undefined;
  const why = notEligible({
    isNew: ask.isNew,
    repository: ask.req.repository !== undefined,
    inputs: ask.inputs,
    mcp: ask.mcp,
    defaultResources: ask.resources === undefined || sameResources(ask.resources, config.runResources),
    keyBudget: ask.keyBudget,
    wouldWait: ask.wouldWait,
  });
  if (why !== undefined) {
    pool.notEligible();
    return undefined;
  }
  return pool.take(shapeOf(ask.req, ask.egress, config));
}

function sameResources(a: RunResources, b: RunResources): boolean {
  return a.memoryMb === b.memoryMb && a.pids === b.pids && a.cpus === b.cpus && a.diskMb === b.diskMb;
}
