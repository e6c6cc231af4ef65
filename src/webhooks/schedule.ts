/**
 * When a delivery is tried again: the operator's schedule (CCA_WEBHOOK_RETRY_SCHEDULE, the wait
 * before each attempt) plus up to 20% jitter, so the deliveries of many runs that failed together
 * against one receiver do not come back together. The schedule's length bounds the attempts.
 */

/** The largest share of a wait added as jitter. */
export const JITTER = 0.2;

/**
 * The wait before the next attempt, after `attemptsMade` attempts; undefined when the schedule
 * allows no more.
 * @example nextAttemptDelayMs([0, 5000, 30000], 1, () => 0.5) // 5500
 */
export function nextAttemptDelayMs(
  scheduleMs: readonly number[],
  attemptsMade: number,
  random: () => number = Math.random,
): number | undefined {
  const base = scheduleMs[attemptsMade];
  if (base === undefined) return undefined;
  return Math.round(base * (1 + JITTER * Math.min(1, Math.max(0, random()))));
}
