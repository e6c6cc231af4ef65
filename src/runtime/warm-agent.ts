/**
 * One warm agent: a new session's folders made under an id nobody has been given, its limits and
 * network opened (agent-setup.ts) and Claude Code started in its sandbox through the SDK's
 * `startup()`, which spawns it and completes the initialize handshake, so the first message is all
 * that is left. The session that takes it binds its run (controller, events, budget, approvals)
 * and sends its prompt; the agent serves that one invocation and is never used again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  startup,
  type Options,
  type SDKMessage,
  type SpawnedProcess,
  type SpawnOptions,
  type WarmQuery,
} from '@anthropic-ai/claude-agent-sdk';
import { initGitDir } from '../codebase/index.js';
import type { LimitHit } from '../limits/index.js';
import type { Logger } from '../logging/index.js';
import { buildSdkOptions, type PermissionDenial, type RequestPermissionMode } from '../runner/index.js';
import type { Spare, WarmShape } from '../warm/index.js';
import { makeSessionDirs, type SessionDirs } from '../workspace/index.js';
import { approvalsAnswered, openAgent, type AgentBinding, type AgentRunDeps, type OpenAgent } from './agent-setup.js';

/** In a session's folder while it belongs to a warm agent that nobody has taken: swept at start if left over. */
export const WARM_MARKER = 'warm-agent';

/** How long start-up may take before the agent is given up. */
const START_TIMEOUT_MS = 60_000;
/** How long an ended agent's process gets to exit before its group is emptied by force. */
const EXIT_GRACE_MS = 3000;

/** A started Claude Code waiting for its session's first message. */
export interface WarmAgent extends Spare {
  readonly sessionId: string;
  readonly shape: WarmShape;
  readonly dirs: SessionDirs;
  /** Its process on the host (bubblewrap's, or Claude Code's without the sandbox). */
  readonly pid: number | undefined;
  readonly agent: OpenAgent;
  /** What its `canUseTool` refused, for the run's outcome. */
  readonly denials: PermissionDenial[];
  /** Binds the run that took it and sends the prompt; the messages of the run. Once only. */
  claim(binding: AgentBinding, prompt: string): AsyncIterable<SDKMessage>;
  /** After its run: closes its network and limits; the limit it went over, if any. */
  finish(): Promise<LimitHit | undefined>;
  /** Taken but not run (the run was cancelled while queued, or cannot use it): ends it, leaving the session its folders. */
  abandon(): Promise<void>;
}

/**
 * Starts a warm agent of `shape` for the new session `sessionId`; rejects (having removed all it
 * made) when it cannot.
 * @example const agent = await startWarmAgent(deps, shape, randomUUID(), log)
 */
export async function startWarmAgent(deps: AgentRunDeps, shape: WarmShape, sessionId: string, log: Logger): Promise<WarmAgent> {
  const { config } = deps;
  const dirs = await makeSessionDirs(config.sessionsBase, sessionId);
  const removeDirs = () => fs.rm(dirs.root, { recursive: true, force: true });
  let agent: OpenAgent;
  try {
    await fs.writeFile(path.join(dirs.root, WARM_MARKER), '');
    // The session's record (src/codebase) starts from here: one git process fewer once a run takes it.
    await initGitDir(dirs.git);
    agent = await openAgent(
      deps,
      { name: `warm-${sessionId}`, dirs, resources: config.runResources, egress: shape.egress, approvals: approvalsAnswered(config) },
      log,
    );
  } catch (err) {
    await removeDirs();
    throw err;
  }
  // Starting, it takes only what runs leave of the CPU.
  agent.background(true);
  const denials: PermissionDenial[] = [];
  const options = buildSdkOptions(
    {
      prompt: '',
      permissionMode: shape.permissionMode as RequestPermissionMode,
      tools: shape.tools,
      maxTurns: shape.maxTurns,
      maxBudgetUsd: shape.maxBudgetUsd,
      timeoutMs: START_TIMEOUT_MS,
      model: shape.model,
      resume: undefined,
    },
    { ...agent.ctx, denials },
  );
  const proc = watchProcess(options, agent.ctx.stderr);
  let warm: WarmQuery;
  try {
    warm = await startup({ options, initializeTimeoutMs: START_TIMEOUT_MS });
  } catch (err) {
    agent.relay.controller.abort('cancelled');
    await settled(proc.exited, EXIT_GRACE_MS);
    await agent.close();
    await removeDirs();
    throw err;
  }
  return new StartedAgent(sessionId, shape, dirs, agent, denials, warm, proc, log);
}

class StartedAgent implements WarmAgent {
  #claimed = false;
  #gone = false;
  #ended: Promise<LimitHit | undefined> | undefined;

  constructor(
    readonly sessionId: string,
    readonly shape: WarmShape,
    readonly dirs: SessionDirs,
    readonly agent: OpenAgent,
    readonly denials: PermissionDenial[],
    private readonly warm: WarmQuery,
    private readonly proc: { exited: Promise<void>; pid: () => number | undefined },
    private readonly log: Logger,
  ) {
    void proc.exited.then(() => (this.#gone = true));
  }

  get pid(): number | undefined {
    return this.proc.pid();
  }

  /** Not once its process is gone, or it went over a limit while it waited (its controller is aborted then). */
  get usable(): boolean {
    return !this.#gone && !this.#claimed && !this.agent.relay.controller.signal.aborted;
  }

  get exited(): Promise<void> {
    return this.proc.exited;
  }

  claim(binding: AgentBinding, prompt: string): AsyncIterable<SDKMessage> {
    if (this.#claimed) throw new Error('This warm agent has served its run already.');
    this.#claimed = true;
    this.agent.relay.bind(binding);
    this.agent.background(false);
    // From here its folders are the session's; a crash must not sweep them.
    void fs.rm(path.join(this.dirs.root, WARM_MARKER), { force: true });
    return this.warm.query(prompt);
  }

  finish(): Promise<LimitHit | undefined> {
    this.#ended ??= this.#end();
    return this.#ended;
  }

  async abandon(): Promise<void> {
    this.#claimed = true;
    await this.finish();
    await fs.rm(path.join(this.dirs.root, WARM_MARKER), { force: true });
  }

  async discard(): Promise<void> {
    this.#claimed = true;
    await this.finish();
    await fs.rm(this.dirs.root, { recursive: true, force: true });
  }

  async #end(): Promise<LimitHit | undefined> {
    // As after a cold run: its input is closed and, the result being in, nothing of it is waited for.
    try {
      this.warm.close();
    } catch (err) {
      this.log.debug({ err: String(err) }, 'the warm query was closed already');
    }
    // Empties and removes its cgroup (whatever is left in it is killed), stops its proxy, ends its token.
    const hit = await this.agent.close();
    // Without a cgroup to empty, the SDK's own kill (after its grace) ends it; one still there is killed then.
    void settled(this.proc.exited, EXIT_GRACE_MS).then((gone) => gone || this.agent.relay.controller.abort('cancelled'));
    return hit;
  }
}

/**
 * Puts a watch on the process the SDK will spawn: its pid, and a promise that settles when it
 * exits (a warm agent that dies while it waits is replaced). Without a sandbox the SDK would spawn
 * Claude Code itself; it is spawned here the same way instead, so it can be watched.
 */
function watchProcess(
  options: Options,
  stderr: ((line: string) => void) | undefined,
): { exited: Promise<void>; pid: () => number | undefined } {
  let child: ChildProcess | undefined;
  let resolveExit: () => void = () => undefined;
  const exited = new Promise<void>((resolve) => (resolveExit = resolve));
  const inner = options.spawnClaudeCodeProcess ?? plainSpawner(stderr);
  options.spawnClaudeCodeProcess = (sdk: SpawnOptions): SpawnedProcess => {
    const spawned = inner(sdk);
    child = spawned as unknown as ChildProcess;
    child.once('exit', () => resolveExit());
    child.once('error', () => resolveExit());
    return spawned;
  };
  return { exited, pid: () => child?.pid };
}

/** Spawns Claude Code as the SDK does when it is given no spawner (stderr to the run's log). */
function plainSpawner(stderr: ((line: string) => void) | undefined): (sdk: SpawnOptions) => SpawnedProcess {
  return (sdk) => {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(sdk.env)) if (value !== undefined) env[name] = value;
    const child = spawn(sdk.command, sdk.args, {
      ...(sdk.cwd !== undefined ? { cwd: sdk.cwd } : {}),
      env,
      stdio: ['pipe', 'pipe', stderr ? 'pipe' : 'ignore'],
      signal: sdk.signal,
    });
    if (stderr) child.stderr?.setEncoding('utf8').on('data', stderr);
    return child as unknown as SpawnedProcess;
  };
}

/** Whether `p` settled within `ms`. */
async function settled(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
