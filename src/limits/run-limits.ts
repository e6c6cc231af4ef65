/**
 * The limits of one run, from before it starts to after it ends: its cgroup, its directories
 * handed to the run user, the commands that confine it (prlimit before bwrap, setpriv inside), and
 * a watch that stops it at the first limit it goes over.
 */
import fs from 'node:fs/promises';
import type { RunResources } from '../config/index.js';
import type { LimitsSupport } from './detect-limits.js';
import { diskUsage } from './disk-usage.js';
import { diskLimitHit, diskReserveBytes, limitFromCounts, lowDiskHit, type LimitHit } from './limit-hit.js';
import type { RunCgroup } from './run-cgroup.js';
import { ownForRun, setprivCommand, SETPRIV_CAPS } from './run-user.js';

const MiB = 2 ** 20;

/** How the sandbox confines the run (the shape `bwrapSpawner`'s `confine` option takes). */
export interface Confinement {
  /** Runs bwrap (it execs it, keeping the pid): `prlimit --fsize=N --`. */
  prefix: string[];
  /** Runs the command inside the sandbox: `setpriv ... --`; empty: as bwrap's user. */
  inner: string[];
  /** Capabilities bwrap keeps for `inner`. */
  keepCaps: string[];
  /** bwrap's pid, before it reads its options and so before it forks anything. */
  onSpawned: (pid: number) => void;
}

export interface RunLimitsOptions {
  /** The run's group name (`run-<invocation id>`). */
  name: string;
  resources: RunResources;
  /** The run's writable directories: workspace, home, tmp. */
  dirs: string[];
  /** Entries the disk walk may visit before it counts the run as over its limit. */
  maxEntries: number;
  /** Called once, at the first limit the run goes over. */
  onHit: (hit: LimitHit) => void;
  /** How often the cgroup's counters and the directories are looked at. */
  countersMs?: number;
  diskMs?: number;
  /** Told what could not be cleaned up (a group the kernel kept). */
  warn?: (message: string) => void;
  /** Free and total bytes of the file system a directory is on (tests stand in for the disk). */
  space?: (dir: string) => Promise<{ freeBytes: number; sizeBytes: number }>;
}

async function spaceOf(dir: string): Promise<{ freeBytes: number; sizeBytes: number }> {
  const s = await fs.statfs(dir);
  return { freeBytes: s.bavail * s.bsize, sizeBytes: s.blocks * s.bsize };
}

/** One run's limits, open while it runs. */
export interface RunLimits {
  confine: Confinement;
  /** `true`: a warm agent waiting for a run: a tiny CPU share, and no disk walks (each is a process). `false`: a run again. */
  background(on: boolean): void;
  /** Stops watching, looks once more, empties and removes the group; the limit hit, if any. */
  close(): Promise<LimitHit | undefined>;
}

/**
 * Sets up the limits of one run; throws if its group cannot be made (the run must not go unlimited).
 * @example const limits = await openRunLimits(support, { name, resources, dirs, maxEntries, onHit: (hit) => controller.abort(hit) })
 */
export async function openRunLimits(support: LimitsSupport, opts: RunLimitsOptions): Promise<RunLimits> {
  const { resources } = opts;
  if (support.user !== undefined) await ownForRun(opts.dirs, support.user);
  const group: RunCgroup | undefined = support.cgroups?.createRun(opts.name, resources);
  let hit: LimitHit | undefined;
  const record = (found: LimitHit | undefined) => {
    if (found === undefined || hit !== undefined) return;
    hit = found;
    opts.onHit(found);
  };
  const countersTimer = group ? setInterval(() => record(limitFromCounts(group.counts(), resources)), opts.countersMs ?? 500) : undefined;
  let walking: Promise<void> | undefined;
  let nextWalk = 0;
  // A warm agent waiting for its first message writes nothing: its folders are not walked until a run takes it.
  let parked = false;
  const measure = async () => {
    const started = Date.now();
    const usage = await diskUsage(opts.dirs, opts.maxEntries);
    // A walk of a big workspace is spaced out: the service spends at most a fifth of its time on it.
    nextWalk = Date.now() + 4 * (Date.now() - started);
    if (!usage.complete || usage.bytes >= resources.diskMb * MiB) record(diskLimitHit(resources, usage, opts.maxEntries));
    const dir = opts.dirs[0];
    if (dir === undefined) return;
    const { freeBytes, sizeBytes } = await (opts.space ?? spaceOf)(dir);
    if (freeBytes < diskReserveBytes(sizeBytes)) record(lowDiskHit(freeBytes));
  };
  const diskTimer = setInterval(() => {
    // One walk at a time: a slow one delays the next instead of piling up.
    if (parked || walking !== undefined || Date.now() < nextWalk) return;
    walking = measure()
      .catch(() => undefined)
      .finally(() => (walking = undefined));
  }, opts.diskMs ?? 2000);

  const confine: Confinement = {
    prefix: support.prlimit ? [support.prlimit, `--fsize=${resources.diskMb * MiB}`, '--'] : [],
    inner: support.user && support.setpriv ? setprivCommand(support.setpriv, support.user) : [],
    keepCaps: support.user ? [...SETPRIV_CAPS] : [],
    onSpawned: (pid) => group?.join(pid),
  };
  return {
    confine,
    background: (on) => {
      parked = on;
      group?.setBackground(on);
    },
    async close() {
      clearInterval(countersTimer);
      clearInterval(diskTimer);
      await walking;
      // The last word: a process killed just before the end, or a file written in the last seconds.
      if (group) record(limitFromCounts(group.counts(), resources));
      await measure().catch(() => undefined);
      if (group && !(await group.destroy())) opts.warn?.(`could not remove the run's cgroup ${group.dirs.join(', ')}`);
      return hit;
    },
  };
}
