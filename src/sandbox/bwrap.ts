/**
 * The bubblewrap command line of one run, as a pure function of what the run may see. The host is
 * mounted read-only, the service's own directories are masked with empty tmpfs mounts, and only the
 * session's workspace, home and temporary directory are bound back writable.
 */
import path from 'node:path';

export interface BwrapInput {
  /** The session's workspace: writable, and the working directory. */
  workspace: string;
  /** The session's HOME (Claude Code's transcript lives there): writable. */
  home: string;
  /** The session's TMPDIR: writable. */
  tmp: string;
  /** Directories masked with an empty tmpfs: the service's data dir, the service user's home, ... */
  hide: string[];
  /** Masked files the run needs (see `isMasked`), bound back read-only: Claude Code's binary. */
  expose?: string[];
  command: string;
  args: string[];
  /** The whole environment of the command; nothing else is inherited. */
  env: Record<string, string>;
  /** Capabilities kept despite `--cap-drop ALL`, for a command that drops them itself (setpriv). */
  keepCaps?: string[] | undefined;
  /** No network of its own: only the egress proxy's Unix socket, bound at `socketInside`. */
  egress?: { socket: string; socketInside: string } | undefined;
}

/**
 * Namespaces and privileges: a PID namespace (its own /proc: no view of the service's processes),
 * no capabilities (as root, CAP_SYS_ADMIN would let the run unmount the masks). Network is shared
 * (the model endpoint must stay reachable) unless the run has an egress allowlist.
 */
export const ISOLATION_ARGS: readonly string[] = [
  '--die-with-parent',
  '--new-session',
  '--unshare-pid',
  '--unshare-ipc',
  '--unshare-uts',
  '--unshare-cgroup-try',
  '--cap-drop',
  'ALL',
];

/** Everything before `--`: mounts, environment and working directory. */
export function bwrapOptions(input: BwrapInput): string[] {
  const args = [...ISOLATION_ARGS];
  for (const cap of input.keepCaps ?? []) args.push('--cap-add', cap);
  args.push('--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc');
  // Kept capabilities mean the command drops to another user inside: its private /tmp must be
  // writable by that user, as a host's /tmp is (sticky, 1777).
  if ((input.keepCaps ?? []).length > 0) args.push('--perms', '1777');
  args.push('--tmpfs', '/tmp');
  // Masks before binds: a bind inside a masked directory is created in the tmpfs, after it.
  const masks = outermost(input.hide);
  for (const dir of masks) args.push('--tmpfs', dir);
  // bwrap makes the bind points' parents in a mask with the modes of the host's (0700 in a data
  // dir): a command dropped to another user could not reach its own workspace through them.
  if ((input.keepCaps ?? []).length > 0) {
    // The same for the files bound back (Claude Code, the bridge, in a checkout under /tmp or a
    // hidden home): the other user must reach and read them.
    for (const dir of parentsInMasks(input.expose ?? [], ['/tmp', ...masks])) args.push('--perms', '0755', '--dir', dir);
    for (const dir of parentsInMasks([input.workspace, input.home, input.tmp], ['/tmp', ...masks]))
      args.push('--perms', '0711', '--dir', dir);
  }
  for (const file of input.expose ?? []) args.push('--ro-bind', file, file);
  for (const dir of [input.workspace, input.home, input.tmp]) args.push('--bind', dir, dir);
  if (input.egress !== undefined) args.push('--unshare-net', '--bind', input.egress.socket, input.egress.socketInside);
  args.push('--clearenv');
  for (const [name, value] of Object.entries(input.env)) args.push('--setenv', name, value);
  args.push('--chdir', input.workspace);
  return args;
}

/**
 * The full argument list for `bwrap`.
 * @example bwrapArgs({ workspace, home, tmp, hide: [dataDir, os.homedir()], command: claude, args: [], env })
 */
export function bwrapArgs(input: BwrapInput): string[] {
  return [...bwrapOptions(input), '--', input.command, ...input.args];
}

/** Whether `file` is out of sight in the sandbox: in a hidden directory or in /tmp, which is private. */
export function isMasked(file: string, hide: string[]): boolean {
  return ['/tmp', ...hide].some((dir) => isInside(file, dir));
}

/** Whether `child` is `parent` or lies below it (both absolute). */
export function isInside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent === '/' ? '/' : parent + path.sep);
}

/** The directories between a mask and each of `dirs` (not the mask itself), parents first. */
function parentsInMasks(dirs: string[], masks: string[]): string[] {
  const parents: string[] = [];
  for (const dir of dirs) {
    const mask = masks.find((m) => dir !== m && isInside(dir, m));
    if (mask === undefined) continue;
    const chain: string[] = [];
    for (let p = path.dirname(dir); p !== mask && isInside(p, mask); p = path.dirname(p)) chain.unshift(p);
    for (const p of chain) if (!parents.includes(p)) parents.push(p);
  }
  return parents;
}

/**
 * The hidden directories in the order given, without those already inside another one (or in the
 * private /tmp), and never `/` itself, which would hide the whole host, Claude Code included.
 */
function outermost(dirs: string[]): string[] {
  const unique = [...new Set(dirs.map((d) => path.resolve(d)))].filter((d) => d !== '/');
  return unique.filter((d) => !isInside(d, '/tmp') && !unique.some((other) => other !== d && isInside(d, other)));
}
