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

/**
 * Default number of runs one API key may have waiting for a slot: a quarter of the queue (at least
 * one), so at least four keys always find room, whoever queued first.
 * @example defaultQueuedPerKey(24) // 6
 */
export function defaultQueuedPerKey(maxQueue: number): number {
  return Math.max(1, Math.ceil(maxQueue / 4));
}
