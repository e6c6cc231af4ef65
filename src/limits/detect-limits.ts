/**
 * What this machine lets the service enforce on runs, found once at start-up: a cgroup hierarchy
 * (v2, else v1) for memory, processes and CPU; `prlimit` for the largest file; `setpriv` and root
 * for an unprivileged run user. Without cgroups, disk is still limited (RLIMIT_FSIZE and polling).
 */
import fs from 'node:fs';
import { findExecutable, type RunResources } from '../config/index.js';
import { planCgroups } from './cgroup-plan.js';
import { Cgroups } from './cgroups.js';
import type { RunUser } from './run-user.js';

export interface LimitsSupport {
  /** The parent group of the runs; undefined: no usable cgroup hierarchy (`cgroupNote` says why). */
  cgroups: Cgroups | undefined;
  cgroupNote: string;
  /** The user runs execute as; undefined: the service's own (it is not root, or setpriv is missing). */
  user: RunUser | undefined;
  /** Why runs keep the service's user, when they do. */
  userNote: string;
  /** `prlimit` (util-linux), which sets the largest file a run may write; undefined: not found. */
  prlimit: string | undefined;
  setpriv: string | undefined;
}

export interface DetectLimitsOptions {
  runUser: RunUser;
  /** Where to look for setpriv and prlimit (a PATH value). */
  searchPath?: string | undefined;
  /** The service's uid (process.getuid()). */
  serviceUid?: number;
  /** Name of the parent group; default `cca-<pid>` (`cca-<pid>-<n>` for a later service in the same process). */
  groupName?: string;
  /** Files read for the plan (tests point them elsewhere). */
  mountsFile?: string;
  selfCgroupFile?: string;
}

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin';

/** Parent groups this process made: each service (tests start several) has its own. */
let opened = 0;

/**
 * Detects and sets up what runs can be limited with; never throws (what fails is said in the notes).
 * @example const limits = await detectLimits({ runUser: config.runUser, searchPath: process.env.PATH })
 */
export function detectLimits(opts: DetectLimitsOptions): LimitsSupport {
  const searchPath = opts.searchPath ?? DEFAULT_PATH;
  const serviceUid = opts.serviceUid ?? process.getuid?.() ?? -1;
  const setpriv = findExecutable('setpriv', searchPath);
  const prlimit = findExecutable('prlimit', searchPath);

  let cgroups: Cgroups | undefined;
  let cgroupNote: string;
  const plan = planCgroups(readOr(opts.mountsFile ?? '/proc/self/mounts'), readOr(opts.selfCgroupFile ?? '/proc/self/cgroup'), (f) =>
    readOrUndefined(f),
  );
  if (plan.version === 'none') {
    cgroupNote = plan.reason;
  } else {
    try {
      const n = opened++;
      cgroups = Cgroups.open(plan, opts.groupName ?? (n === 0 ? `cca-${process.pid}` : `cca-${process.pid}-${n}`));
      cgroupNote = `cgroup ${plan.version} (${cgroups.dirs.join(', ')})`;
    } catch (err) {
      cgroupNote = `cgroup ${plan.version} is mounted but the service cannot make groups in it: ${(err as Error).message}`;
    }
  }

  let user: RunUser | undefined;
  let userNote: string;
  if (serviceUid !== 0) userNote = `the service does not run as root: runs keep its uid ${serviceUid}`;
  else if (setpriv === undefined) userNote = 'setpriv (util-linux) was not found on PATH: runs keep uid 0 (without capabilities)';
  else {
    user = opts.runUser;
    userNote = `runs as uid ${user.uid}, gid ${user.gid}, without capabilities`;
  }
  return { cgroups, cgroupNote, user, userNote, prlimit, setpriv };
}

/**
 * The start-up lines about per-run limits: what is enforced, and loudly what is not.
 * @example io.stdout(describeLimits(limits, config.runResources))
 */
export function describeLimits(support: LimitsSupport, r: RunResources): string {
  const disk = `${r.diskMb} MB disk${support.prlimit ? '' : ' (polled only: prlimit not found, so no file size limit)'}`;
  const lines = [
    support.cgroups !== undefined
      ? `  limits:   per run ${r.memoryMb} MB memory, ${r.pids} processes, ${r.cpus} CPU, ${disk}; ${support.cgroupNote}`
      : `  limits:   per run ${disk} only: no usable cgroups (${support.cgroupNote})\n` +
        'WARNING: memory, process and CPU limits are not enforced: a run can exhaust this machine. Run the service as root on a host with cgroups (v2, or v1 memory and pids).',
    `  run user: ${support.userNote}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** What /health and the log say about limits. */
export function limitsSummary(support: LimitsSupport): { cgroup: 'v1' | 'v2' | 'none'; run_uid: number | null } {
  return { cgroup: support.cgroups?.version ?? 'none', run_uid: support.user?.uid ?? null };
}

function readOr(file: string): string {
  return readOrUndefined(file) ?? '';
}

function readOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
