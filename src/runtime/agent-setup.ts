/**
 * What Claude Code runs in, opened before it starts and closed after it ends: the run's resource
 * limits (a cgroup and a watch), its network (the broker token and, when isolated, the egress
 * proxy), its MCP connections, its environment and sandbox. A cold run opens it and starts Claude
 * Code at once; a warm agent (src/warm) opens it ahead of any request, so what depends on the run
 * (who to tell of a refused host, whose budget a model answer counts against, who answers an
 * approval, where stderr goes, which controller stops it) goes through an `AgentRelay`, bound when
 * a run takes the agent.
 */
import fs from 'node:fs/promises';
import type { CredentialBroker, UsageObserver } from '../broker/index.js';
import { VERSION, type Config, type RunResources } from '../config/index.js';
import type { SessionEvents } from '../events/index.js';
import type { DomainPattern } from '../egress/index.js';
import { openRunLimits, type LimitHit, type LimitsSupport, type RunLimits } from '../limits/index.js';
import type { Logger } from '../logging/index.js';
import type { McpHub, McpPlan, RunMcp } from '../mcp/index.js';
import { buildChildEnv, type Approver, type RunContext } from '../runner/index.js';
import { sandboxForRun, type SandboxStatus } from '../sandbox/index.js';
import type { SessionDirs } from '../workspace/index.js';
import { openRunNetwork, type RunNetwork } from './run-network.js';

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

/**
 * Someone can answer approvals under `serve` (its route), and on the bare runtime with S3 storage
 * (AgentCore: the API Lambda reads the events there and answers through a control payload);
 * otherwise they are denied at once rather than wait for an answer that cannot come.
 */
export function approvalsAnswered(config: Pick<Config, 'mode' | 'storage'>): boolean {
  return config.mode === 'serve' || config.storage.kind === 's3';
}

/** What a run plugs into the agent it runs on. */
export interface AgentBinding {
  /** The run's controller: its abort stops the agent, with the same reason. */
  controller: AbortController;
  log: Logger;
  onDenied(host: string, port: number): void;
  /** Meters the run's model answers at the broker (a key's budget); undefined: not metered. */
  observer: UsageObserver | undefined;
  /** Answers the run's approvals; undefined: they are denied. */
  approver: Approver | undefined;
}

/**
 * Forwards the agent's callbacks to the run bound to it. Before a run is bound, nothing is waiting
 * on them: Claude Code does nothing until its first message, and a limit hit then ends the agent.
 */
export class AgentRelay {
  /** The SDK's controller: aborted by the bound run's controller, or to discard the agent. */
  readonly controller = new AbortController();
  #binding: AgentBinding | undefined;
  #limitHit: LimitHit | undefined;

  constructor(private readonly fallbackLog: Logger) {}

  get bound(): AgentBinding | undefined {
    return this.#binding;
  }

  /** Binds a run; its abort (now or later) aborts the agent. A limit hit while unbound aborts it at once. */
  bind(binding: AgentBinding): void {
    if (this.#binding !== undefined) throw new Error('This agent already serves a run: an agent serves exactly one.');
    this.#binding = binding;
    const forward = () => {
      if (!this.controller.signal.aborted) this.controller.abort(binding.controller.signal.reason);
    };
    if (binding.controller.signal.aborted) forward();
    else binding.controller.signal.addEventListener('abort', forward, { once: true });
    if (this.#limitHit !== undefined && !binding.controller.signal.aborted) binding.controller.abort(this.#limitHit);
  }

  /** The first limit the agent went over: stops the bound run (or, unbound, the agent itself). */
  onLimitHit(hit: LimitHit): void {
    this.#limitHit ??= hit;
    const run = this.#binding;
    if (run === undefined) {
      if (!this.controller.signal.aborted) this.controller.abort(hit);
      return;
    }
    run.log.info({ limit: hit.stopReason }, 'stopping the run: it went over a resource limit');
    if (!run.controller.signal.aborted) run.controller.abort(hit);
  }

  get log(): Logger {
    return this.#binding?.log ?? this.fallbackLog;
  }

  readonly observer: UsageObserver = {
    onUsage: (callId, model, usage) => this.#binding?.observer?.onUsage(callId, model, usage),
    refusal: () => this.#binding?.observer?.refusal(),
  };

  readonly approver: Approver = async (tool, input, signal) => {
    const approver = this.#binding?.approver;
    if (approver === undefined) return { allow: false, reason: 'Nobody can answer approvals for this run.' };
    return approver(tool, input, signal);
  };
}

/** Where and as what the agent runs. */
export interface AgentPlace {
  /** Names its cgroup, broker token and proxy: `run-<invocation>` or `warm-<id>`. */
  name: string;
  dirs: SessionDirs;
  resources: RunResources;
  /** Hosts it may reach; undefined: every public host. */
  egress: DomainPattern[] | undefined;
  /** Its MCP servers; undefined: none. */
  mcp?: McpPlan | undefined;
  /** Whether someone can answer its approvals (else they are denied at once). */
  approvals: boolean;
}

/** An agent's surroundings, open. */
export interface OpenAgent {
  /** What `buildSdkOptions` needs besides the run's spec and its denials. */
  ctx: Omit<RunContext, 'denials'>;
  relay: AgentRelay;
  network: RunNetwork;
  mcp: RunMcp | undefined;
  /** A tiny CPU share while it waits for a run (a warm agent), the normal one once it serves. */
  background(on: boolean): void;
  /** Closes the MCP connections, the network and the limits, in that order; the limit hit, if any. */
  close(): Promise<LimitHit | undefined>;
}

/**
 * Opens what Claude Code runs in; throws (having closed what it opened) when a part cannot be made.
 * @example const agent = await openAgent(deps, { name: `run-${id}`, dirs, resources, egress, approvals: true }, log)
 */
export async function openAgent(deps: AgentRunDeps, place: AgentPlace, log: Logger): Promise<OpenAgent> {
  const { config } = deps;
  const relay = new AgentRelay(log);
  const limits = await openLimits(deps, place, relay);
  let network: RunNetwork;
  try {
    network = await openRunNetwork(deps, place.name, place.egress, (host, port) => relay.bound?.onDenied(host, port), relay.observer);
  } catch (err) {
    await limits?.close();
    throw err;
  }
  // Connections to the run's MCP servers open when Claude Code first asks for their tools and close with the run.
  const mcp = place.mcp !== undefined && deps.mcp !== undefined ? deps.mcp.openRun(place.mcp, relay.controller.signal) : undefined;
  const close = async () => {
    await mcp?.close().catch((err: unknown) => relay.log.warn({ err }, 'could not close the mcp connections'));
    // Side by side: the proxy cuts the run's connections while its processes are killed; nothing of the run outlives it.
    const [, hit] = await Promise.all([
      network.close().catch((err: unknown) => relay.log.warn({ err }, 'could not close the egress proxy')),
      limits?.close(),
    ]);
    return hit;
  };
  try {
    // A run as another user must reach its proxy through the socket bound into its sandbox (the
    // socket's directory on the host stays private to the service).
    if (network.sandbox !== undefined && deps.limits?.user !== undefined) await fs.chmod(network.sandbox.socket, 0o666);
    const { dirs } = place;
    const ctx: Omit<RunContext, 'denials'> = {
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
      abortController: relay.controller,
      claudePath: config.claudePath,
      sandbox: sandboxForRun(
        deps.sandbox,
        { dataDir: config.dataDir, sessionsBase: config.sessionsBase, home: dirs.home, tmp: dirs.tmp },
        network.sandbox,
      ),
      confine: limits?.confine,
      mcp: mcp === undefined || place.mcp === undefined ? undefined : { servers: mcp.sdkServers, selection: place.mcp },
      stderr: (line) => relay.log.debug({ stderr: line.trimEnd() }, 'claude stderr'),
      ...(place.approvals ? { approver: relay.approver } : {}),
    };
    return { ctx, relay, network, mcp, background: (on) => limits?.background(on), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The limits of a sandboxed agent: its cgroup, its directories handed to the run user, the watch
 * that stops it (like a timeout: files so far are stored) at the first limit it goes over.
 */
async function openLimits(deps: AgentRunDeps, place: AgentPlace, relay: AgentRelay): Promise<RunLimits | undefined> {
  if (deps.limits === undefined || deps.sandbox.kind !== 'bwrap') return undefined;
  const { dirs } = place;
  return openRunLimits(deps.limits, {
    name: place.name,
    resources: place.resources,
    dirs: [dirs.workspace, dirs.home, dirs.tmp],
    maxEntries: deps.config.limits.maxRunEntries,
    onHit: (hit) => relay.onLimitHit(hit),
    warn: (message) => relay.log.warn(message),
  });
}
