/**
 * Which per-run limit a run went over, in the service's terms (the `stop_reason` it ends with).
 */
import type { RunResources } from '../config/index.js';

/** A limit a run went over, and the message its outcome reports. */
export interface LimitHit {
  stopReason: 'memory_limit' | 'process_limit' | 'disk_limit';
  message: string;
}

/** What the run's cgroup counted: processes the OOM killer took, forks refused at the pids limit. */
export interface CgroupCounts {
  oomKills: number;
  pidsRefused: number;
}

const STORED = 'files written so far were stored';

/**
 * The limit the counts say was hit (memory first: an OOM kill is the harsher event), or undefined.
 * @example limitFromCounts({ oomKills: 1, pidsRefused: 0 }, resources)?.stopReason // 'memory_limit'
 */
export function limitFromCounts(counts: CgroupCounts, resources: RunResources): LimitHit | undefined {
  if (counts.oomKills > 0) {
    return {
      stopReason: 'memory_limit',
      message: `Stopped: the run went over its memory limit of ${resources.memoryMb} MB (a process was killed for it); ${STORED}.`,
    };
  }
  if (counts.pidsRefused > 0) {
    return {
      stopReason: 'process_limit',
      message: `Stopped: the run tried to have more than ${resources.pids} processes and threads at once; ${STORED}.`,
    };
  }
  return undefined;
}

/** Free space under which runs are stopped: 2 % of the file system, at most 1 GiB. */
export function diskReserveBytes(sizeBytes: number): number {
  return Math.min(2 ** 30, Math.floor(sizeBytes * 0.02));
}

/**
 * The hit of a run while the file system its session is on runs out of space, whoever filled it: a
 * backstop for what the walk cannot count (a file the run deleted but keeps open).
 */
export function lowDiskHit(freeBytes: number): LimitHit {
  return {
    stopReason: 'disk_limit',
    message: `Stopped: the disk the service keeps sessions on has only ${(freeBytes / 2 ** 20).toFixed(0)} MB free; ${STORED}.`,
  };
}

/**
 * The hit of a run whose directories hold more than the disk limit allows: bytes, or more files than
 * a run may have (`maxEntries`, CCA_RUN_MAX_ENTRIES).
 */
export function diskLimitHit(
  resources: RunResources,
  usage: { bytes: number; complete: boolean; entries: number },
  maxEntries: number = usage.entries - 1,
): LimitHit {
  const what = usage.complete ? `${(usage.bytes / 2 ** 20).toFixed(1)} MB` : `more than ${maxEntries} files and directories`;
  return {
    stopReason: 'disk_limit',
    message: `Stopped: the run's workspace, home and temporary directory went over the disk limit of ${resources.diskMb} MB (${what}); ${STORED}.`,
  };
}
