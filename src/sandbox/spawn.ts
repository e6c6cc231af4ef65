/**
 * A `spawnClaudeCodeProcess` for the Agent SDK that starts Claude Code inside bubblewrap. The
 * options reach bwrap through a pipe (`--args 3`), not its command line: the environment (with
 * the model provider's key) never shows in `ps` on the host nor in the sandbox's /proc/1/cmdline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { SpawnedProcess, SpawnOptions } from '@anthropic-ai/claude-agent-sdk';
import { BRIDGE_SCRIPT, bridgeCommand, SANDBOX_SOCKET, withProxyEnv } from '../egress/index.js';
import { bwrapOptions, isMasked } from './bwrap.js';
import type { SandboxEgress } from './plan.js';

export interface BwrapSpawnerOptions {
  bwrapPath: string;
  workspace: string;
  home: string;
  tmp: string;
  /** Directories masked inside the sandbox (see `hiddenPaths`). */
  hide: string[];
  /** No network but the egress proxy (through the bridge); undefined: the host's network. */
  egress?: SandboxEgress | undefined;
  /** The Node that runs the bridge inside the sandbox; default: the service's own. */
  nodePath?: string;
  /** Receives Claude Code's (and bwrap's) stderr; none: it is discarded. */
  onStderr?: (chunk: string) => void;
  /** Resource limits around the sandbox (src/limits); none: bwrap alone. */
  confine?: SpawnConfinement | undefined;
}

/** What confines a run beyond bwrap's namespaces; every part optional. */
export interface SpawnConfinement {
  /** A command that execs bwrap, keeping its pid (`prlimit --fsize=N --`). */
  prefix?: string[];
  /** A command inside the sandbox that execs the run's command (`setpriv --reuid=U ... --`). */
  inner?: string[];
  /** Capabilities bwrap keeps for `inner`. */
  keepCaps?: string[];
  /** Gets bwrap's pid before bwrap has read its options, so before it forks (joins a cgroup); may throw. */
  onSpawned?: (pid: number) => void;
}

const ARGS_FD = 3;

/**
 * Returns the SDK's spawn hook for one run.
 * @example options.spawnClaudeCodeProcess = bwrapSpawner({ bwrapPath: '/usr/bin/bwrap', workspace, home, tmp, hide })
 */
export function bwrapSpawner(opts: BwrapSpawnerOptions): (sdk: SpawnOptions) => SpawnedProcess {
  return function spawnInBwrap(sdk) {
    let env: Record<string, string> = {};
    for (const [name, value] of Object.entries(sdk.env)) if (value !== undefined) env[name] = value;
    // bwrap cannot mount over, or create mount points through, a symbolic link: real paths only.
    const claude = path.isAbsolute(sdk.command) ? fs.realpathSync(sdk.command) : sdk.command;
    let run = { command: claude, args: sdk.args };
    const executables = [claude];
    if (opts.egress !== undefined) {
      const node = fs.realpathSync(opts.nodePath ?? process.execPath);
      const bridge = fs.realpathSync(BRIDGE_SCRIPT);
      run = bridgeCommand(node, bridge, claude, sdk.args, opts.egress.forwards);
      executables.push(node, bridge);
      env = withProxyEnv(env);
    }
    const [innerCommand, ...innerArgs] = opts.confine?.inner ?? [];
    if (innerCommand !== undefined) run = { command: innerCommand, args: [...innerArgs, run.command, ...run.args] };
    const hide = opts.hide.map((dir) => fs.realpathSync(dir));
    const options = bwrapOptions({
      workspace: fs.realpathSync(opts.workspace),
      home: fs.realpathSync(opts.home),
      tmp: fs.realpathSync(opts.tmp),
      hide,
      // Claude Code's binary (and Node and the bridge) stay reachable even in a hidden directory or /tmp.
      expose: executables.filter((file) => path.isAbsolute(file) && isMasked(file, hide)),
      command: run.command,
      args: run.args,
      env,
      keepCaps: opts.confine?.keepCaps,
      egress: opts.egress === undefined ? undefined : { socket: opts.egress.socket, socketInside: SANDBOX_SOCKET },
    });
    const [launcher = opts.bwrapPath, ...launcherArgs] = [...(opts.confine?.prefix ?? []), opts.bwrapPath];
    const child = spawn(launcher, [...launcherArgs, '--args', String(ARGS_FD), '--', run.command, ...run.args], {
      cwd: '/',
      // bwrap's own environment would be readable in the sandbox as /proc/1/environ: give it none.
      env: {},
      stdio: ['pipe', 'pipe', opts.onStderr ? 'pipe' : 'ignore', 'pipe'],
      signal: sdk.signal,
    });
    const argsPipe = child.stdio[ARGS_FD] as Writable;
    // A bwrap that failed to start reports through the child's 'error' event, which the SDK handles.
    argsPipe.on('error', () => undefined);
    // bwrap waits for its options: until they are written it has forked nothing.
    if (child.pid !== undefined && opts.confine?.onSpawned !== undefined) {
      try {
        opts.confine.onSpawned(child.pid);
      } catch (err) {
        child.kill('SIGKILL');
        throw err;
      }
    }
    argsPipe.end(encodeArgs(options));
    if (opts.onStderr) child.stderr?.setEncoding('utf8').on('data', opts.onStderr);
    return withStreams(child);
  };
}

/** bwrap's `--args` format: each argument followed by a NUL. */
function encodeArgs(args: string[]): Buffer {
  if (args.some((a) => a.includes('\0'))) throw new Error('A sandbox argument (path or environment value) contains a NUL byte.');
  return Buffer.from(args.map((a) => `${a}\0`).join(''), 'utf8');
}

/** A child spawned with piped stdin and stdout is a `SpawnedProcess`; the type just cannot tell. */
function withStreams(child: ChildProcess): SpawnedProcess {
  if (child.stdin === null || child.stdout === null) throw new Error('bwrap was spawned without stdin/stdout pipes.');
  return child as ChildProcess & { stdin: Writable; stdout: Readable };
}
