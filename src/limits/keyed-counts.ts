/**
 * The counters cgroup files keep as `name value` lines: memory.events and pids.events (v2),
 * memory.oom_control and pids.events (v1).
 */

/**
 * The numbers of a flat keyed cgroup file; lines that are not `name number` are skipped.
 * @example parseKeyedCounts('low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n') // { low: 0, high: 0, max: 3, oom: 1, oom_kill: 1 }
 */
export function parseKeyedCounts(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_][\w.]*)\s+(\d+)\s*$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) counts[match[1]] = Number(match[2]);
  }
  return counts;
}
