/**
 * Defaults that depend on the machine the service runs on.
 */

const RUN_MEMORY_BYTES = 200 * 2 ** 20;

/**
 * Default global limit of concurrent runs from the machine: each Claude Code process needs ~200 MB
 * and a third of a core to start. max(1, min(floor(cpus * 3), floor(totalMemBytes * 0.75 / (200 * 2**20))))
 * @example defaultGlobalRuns(os.availableParallelism(), os.totalmem()) // 2 cores, 8 GiB → 6
 */
export function defaultGlobalRuns(cpus: number, totalMemBytes: number): number {
  // A quarter of memory stays for the service, the page cache and the agents' own commands.
  return Math.max(1, Math.min(Math.floor(cpus * 3), Math.floor((totalMemBytes * 0.75) / RUN_MEMORY_BYTES)));
}

/** What one sandboxed run may use (src/limits enforces it). */
export interface RunResources {
  /** Memory of all its processes together (cgroup memory limit), MiB. */
  memoryMb: number;
  /** Processes and threads at once (cgroup pids limit). */
  pids: number;
  /** CPU time per wall-clock second (cgroup CPU quota): 1.5 = one and a half cores. */
  cpus: number;
  /** Bytes its workspace, home and temporary directory may hold together, MiB; also the largest file. */
  diskMb: number;
}

const MiB = 2 ** 20;

/**
 * Default per-run limits from the machine: memory is an equal share of the three quarters of memory
 * the run slots are sized from (at least 512 MiB: Claude Code alone takes ~200 MiB); 512 processes;
 * 2 GiB of disk; and a CPU quota of every core: the kernel's group scheduler already shares the
 * CPUs equally between runs (each run is one group, however many processes it starts) and the
 * service, and a quota below what Claude Code takes while it starts (about 1.3 cores) makes every
 * run slower on an idle machine (1 core of 2: ~330 ms more per invocation).
 * @example defaultRunResources(2, 8 * 2 ** 30, 6) // { memoryMb: 1024, pids: 512, cpus: 2, diskMb: 2048 }
 */
export function defaultRunResources(cpus: number, totalMemBytes: number, maxRuns: number): RunResources {
  return {
    memoryMb: Math.max(512, Math.floor((totalMemBytes * 0.75) / Math.max(1, maxRuns) / MiB)),
    pids: 512,
    cpus: Math.max(1, Math.floor(cpus)),
    diskMb: 2048,
  };
}

/**
 * Default number of runs one API key may have waiting for a slot: a quarter of the queue (at least
 * one), so at least four keys always find room, whoever queued first.
 * @example defaultQueuedPerKey(24) // 6
 */
export function defaultQueuedPerKey(maxQueue: number): number {
  return Math.max(1, Math.ceil(maxQueue / 4));
}
