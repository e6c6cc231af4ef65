/**
 * The warm pool of a service: its default shape (a request with every default, as the service
 * parses one), the start of each agent, and the folders of agents a previous process left behind.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logging/index.js';
import { parseInvocation } from '../http/invocation-request.js';
import type { SessionRepo } from '../sessions/index.js';
import { WarmPool, type DiscardReason, type TakeResult } from '../warm/index.js';
import { sessionsRoot } from '../workspace/index.js';
import type { AgentRunDeps } from './agent-setup.js';
import { egressOf } from './admission.js';
import { startWarmAgent, WARM_MARKER, type WarmAgent } from './warm-agent.js';
import { shapeOf } from './warm-admission.js';

/**
 * The service's warm pool, or undefined when it is off or runs cannot start here (no model
 * provider, no working sandbox). Call `start()` once the service is ready to serve.
 * @example const warm = await createWarmPool(deps, sessions, logger, { onTake, onDiscard })
 */
export async function createWarmPool(
  deps: AgentRunDeps,
  sessions: Pick<SessionRepo, 'getSession'>,
  logger: Logger,
  hooks: { onTake?: (r: TakeResult) => void; onDiscard?: (r: DiscardReason) => void } = {},
): Promise<WarmPool<WarmAgent> | undefined> {
  const { config } = deps;
  const log = logger.child({ component: 'warm-pool' });
  // Left by a process that died with agents waiting: nobody was given these sessions.
  const swept = await sweepLeftovers(config.sessionsBase, sessions);
  if (swept > 0) log.info({ removed: swept }, 'removed the folders of warm agents the last process left');
  if (config.warm.max === 0 || config.provider.kind === 'none' || deps.sandbox.kind === 'unavailable') return undefined;
  const defaults = parseInvocation({ prompt: 'warm' }, config.limits);
  // With MCP servers every request gets by default, no request with every default can use an agent
  // (it has MCP): none is kept for that shape. Shapes learned from requests still are.
  const mcpByDefault = Object.values(config.mcp.servers).some((server) => server.default);
  const defaultShape = mcpByDefault ? undefined : shapeOf(defaults, egressOf(undefined, { config, sandbox: deps.sandbox }), config);
  return new WarmPool<WarmAgent>({
    max: config.warm.max,
    idleMs: config.warm.idleMs,
    maxAgeMs: config.warm.maxAgeMs,
    maxStarting: config.warm.maxStarting,
    defaultShape,
    start: (shape, sessionId) => startWarmAgent(deps, shape, sessionId, log.child({ session_id: sessionId })),
    log,
    ...hooks,
  });
}

/** Removes session folders that a warm agent held and no session was ever recorded in; how many. */
async function sweepLeftovers(sessionsBase: string, sessions: Pick<SessionRepo, 'getSession'>): Promise<number> {
  const root = sessionsRoot(sessionsBase);
  const names = await fs.readdir(root).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const marker = await fs.lstat(path.join(root, name, WARM_MARKER)).catch(() => undefined);
    if (marker === undefined || sessions.getSession(name) !== undefined) continue;
    await fs.rm(path.join(root, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}
