/**
 * The windows budgets are counted in: the calendar day and the calendar month, both in UTC, so a
 * key's limits reset at the same instant wherever its caller is (00:00 UTC; the 1st of the month).
 */

const DAY_MS = 86_400_000;

/** One window: its key (`YYYY-MM-DD` or `YYYY-MM`, sorting like the time it names) and its bounds. */
export interface Window {
  key: string;
  startMs: number;
  /** The instant the next window starts: when a budget of this window resets. */
  endMs: number;
}

/** The day and the month holding an instant. */
export interface Windows {
  day: Window;
  month: Window;
}

/**
 * The UTC day and month holding `nowMs` (epoch ms).
 * @example budgetWindows(Date.parse('2025-01-31T23:59:59Z')).day.endMs === Date.parse('2025-02-01T00:00:00Z')
 */
export function budgetWindows(nowMs: number): Windows {
  const at = new Date(nowMs);
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  const dayStart = Date.UTC(year, month, at.getUTCDate());
  return {
    day: { key: utcDay(nowMs), startMs: dayStart, endMs: dayStart + DAY_MS },
    month: { key: utcDay(nowMs).slice(0, 7), startMs: Date.UTC(year, month, 1), endMs: Date.UTC(year, month + 1, 1) },
  };
}

/** `YYYY-MM-DD` of the UTC day holding `ms`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Whole seconds (at least 1) from `nowMs` to `untilMs`: what a Retry-After says. */
export function secondsUntil(untilMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((untilMs - nowMs) / 1000));
}

/**
 * The UTC days from `from` to `to`, both included, each `YYYY-MM-DD`.
 * @example daysBetween('2025-01-30', '2025-02-01') // ['2025-01-30', '2025-01-31', '2025-02-01']
 */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let ms = Date.parse(`${from}T00:00:00Z`); ms <= Date.parse(`${to}T00:00:00Z`); ms += DAY_MS) days.push(utcDay(ms));
  return days;
}

/** Whether `text` is a real calendar day written `YYYY-MM-DD` (2025-02-30 is not). */
export function isUtcDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(ms) && utcDay(ms) === text;
}

/** The day `days` days before `day` (negative: after). */
export function dayBefore(day: string, days: number): string {
  return utcDay(Date.parse(`${day}T00:00:00Z`) - days * DAY_MS);
}
