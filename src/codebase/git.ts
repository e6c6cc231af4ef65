/**
 * Running `git` in the service, outside any sandbox, on data a stranger controls (a remote, a
 * workspace a run wrote): nothing of the host's or the repository's configuration may run code or
 * reach the network on its own. Every call gets a fixed environment (no system or global config,
 * no prompts, only the allowed protocols) and a config that switches off hooks, fsmonitor,
 * redirects and credential helpers; a credential travels in the environment, never in argv (`ps`).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/** Why a git command failed: its exit code and what it wrote to stderr (credentials never reach it). */
export class GitCommandError extends Error {
  override name = 'GitCommandError';
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    /** The command was stopped: by the caller's signal, its timeout or its output cap. */
    readonly stopped?: 'aborted' | 'timeout' | 'output_limit',
  ) {
    super(`git ${args[0] ?? ''} ${stopped ? `was stopped (${stopped})` : `exited with ${exitCode}`}: ${lastLines(stderr)}`);
  }
}

/** How one git command runs. */
export interface GitOptions {
  /** The repository (`--git-dir`); the service's own, never one a run could write. */
  gitDir?: string | undefined;
  /** The files (`--work-tree`), e.g. a session's workspace. */
  workTree?: string | undefined;
  /** A command on objects only (`--bare`): no work tree, so nothing (attributes) is read from the directory it runs in. */
  bare?: boolean | undefined;
  cwd?: string | undefined;
  /** Extra `-c` settings, passed through the environment (GIT_CONFIG_*), e.g. a credential header. */
  config?: Record<string, string> | undefined;
  /** Protocols git may use (GIT_ALLOW_PROTOCOL); default http and https. */
  protocols?: string[] | undefined;
  /** Extra variables (GIT_INDEX_FILE, author names); the rest of the service's environment never reaches git. */
  env?: Record<string, string> | undefined;
  input?: string | Buffer | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  /** Most stdout kept; past it the command is stopped (a hostile tree cannot fill the service's memory). */
  maxOutputBytes?: number | undefined;
  /** Each line (or progress update) git writes to stderr, as it comes. */
  onStderr?: ((line: string) => void) | undefined;
  /** The host's PATH (to find git's helpers); default /usr/bin:/bin. */
  path?: string | undefined;
  /** Most address space the command may take (prlimit --as): git reading a tree a run wrote holds its .gitignore patterns in memory. */
  maxMemoryBytes?: number | undefined;
}

/** The settings every command gets; later `-c` settings of the caller come after them. */
const SAFE_CONFIG: Record<string, string> = {
  // A workspace a run wrote must not make the service run anything.
  'core.hooksPath': '/dev/null',
  'core.fsmonitor': 'false',
  'core.untrackedCache': 'false',
  'core.attributesFile': '/dev/null',
  // A repository inside a workspace is never looked into: its own config (filters) would run here.
  'diff.ignoreSubmodules': 'all',
  'status.submoduleSummary': 'false',
  'core.sshCommand': 'false',
  'credential.helper': '',
  'protocol.allow': 'user',
  // A redirect would leave the address the service checked and pinned.
  'http.followRedirects': 'false',
  'submodule.recurse': 'false',
  'fetch.recurseSubmodules': 'false',
  'core.quotePath': 'false',
  'gc.auto': '0',
  // A background gc would prune what the next command writes (its prune grace is none here).
  'gc.autoDetach': 'false',
  // Packs are mapped in small windows, so a cap on address space does not break big repositories.
  'core.packedGitLimit': '256m',
  'core.packedGitWindowSize': '32m',
  'maintenance.auto': 'false',
  'advice.detachedHead': 'false',
  'init.defaultBranch': 'main',
};

const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;

/** util-linux's prlimit, where the host has it (Debian and most others do). */
const PRLIMIT = ['/usr/bin/prlimit', '/bin/prlimit'].find((p) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

/**
 * Runs `git <args>` and resolves with its stdout; rejects with GitCommandError on a non-zero exit.
 * @example const head = (await runGit(['rev-parse', 'HEAD'], { gitDir })).toString().trim();
 */
export function runGit(args: string[], opts: GitOptions = {}): Promise<Buffer> {
  const globalArgs = [
    ...(opts.bare ? ['--bare'] : []),
    ...(opts.gitDir !== undefined ? [`--git-dir=${opts.gitDir}`] : []),
    ...(opts.workTree !== undefined ? [`--work-tree=${opts.workTree}`] : []),
  ];
  const env = gitEnv(opts);
  const maxOutput = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new GitCommandError(args, null, '', 'aborted'));
    const limited = opts.maxMemoryBytes !== undefined && PRLIMIT !== undefined;
    const command = limited ? (PRLIMIT as string) : 'git';
    const argv = [...(limited ? [`--as=${opts.maxMemoryBytes}`, '--', 'git'] : []), ...globalArgs, ...args];
    const child = spawn(command, argv, { cwd: opts.cwd ?? '/', env, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let pending = '';
    let stopped: GitCommandError['stopped'];
    const stop = (why: NonNullable<GitCommandError['stopped']>) => {
      if (stopped !== undefined) return;
      stopped = why;
      child.kill('SIGKILL');
    };
    const timer = opts.timeoutMs !== undefined ? setTimeout(() => stop('timeout'), opts.timeoutMs) : undefined;
    const onAbort = () => stop('aborted');
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxOutput) return stop('output_limit');
      chunks.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      // Kept short: a chatty command must not grow the service's memory.
      stderr = (stderr + text).slice(-16_384);
      if (opts.onStderr === undefined) return;
      pending += text;
      // Progress lines end in \r, the rest in \n.
      const parts = pending.split(/[\r\n]/);
      pending = parts.pop() ?? '';
      for (const line of parts) if (line.trim() !== '') opts.onStderr(line);
    });
    child.stdin.on('error', () => undefined); // git may exit before reading its input
    child.stdin.end(opts.input ?? '');
    child.on('error', (err) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(new GitCommandError(args, null, String(err)));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (stopped !== undefined || code !== 0) return reject(new GitCommandError(args, code, stderr, stopped));
      resolve(Buffer.concat(chunks));
    });
  });
}

/** The whole environment of a git command: nothing from the service's own. */
function gitEnv(opts: GitOptions): NodeJS.ProcessEnv {
  const config = { ...SAFE_CONFIG, ...(opts.config ?? {}) };
  const env: NodeJS.ProcessEnv = {
    PATH: opts.path ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: '/nonexistent',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_ATTR_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '/bin/false',
    SSH_ASKPASS: '/bin/false',
    GIT_ALLOW_PROTOCOL: (opts.protocols ?? ['http', 'https']).join(':'),
    GIT_PROTOCOL_FROM_USER: '0',
    GIT_OPTIONAL_LOCKS: '0',
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_CONFIG_COUNT: String(Object.keys(config).length),
    ...(opts.env ?? {}),
  };
  Object.entries(config).forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

function lastLines(text: string): string {
  const lines = text
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '');
  return lines.slice(-3).join(' / ').slice(0, 500);
}
