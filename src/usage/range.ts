/** The UTC days a usage report covers, as `GET /usage` and `cca usage` take them: up to `to`, back `days` or from `from`. */
import { ValidationError } from '../errors/index.js';
import { dayBefore, isUtcDay, utcDay } from './windows.js';

/** The longest range one report covers, in days. */
export const MAX_USAGE_DAYS = 366;
/** Days a report covers when the query names none. */
export const DEFAULT_USAGE_DAYS = 30;

/** How the fields are named where they were typed: query parameters, or the CLI's flags. */
const QUERY_NAMES = { from: 'from', to: 'to', days: 'days' };

/**
 * The days asked for: `to` (default today, UTC), back `days` (default 30) or from `from`; throws
 * ValidationError for a day that is not one, both `from` and `days`, a reversed or too long range.
 * @example usageRange({ days: 7 }, Date.parse('2025-03-01T10:00:00Z')) // { from: '2025-02-23', to: '2025-03-01' }
 */
export function usageRange(
  query: { from?: string | undefined; to?: string | undefined; days?: number | undefined },
  nowMs: number,
  names: typeof QUERY_NAMES = QUERY_NAMES,
) {
  const { from, to = utcDay(nowMs), days } = query;
  const dayMessage = (name: string) => `${name} must be a UTC day written YYYY-MM-DD, e.g. 2025-01-31.`;
  if (!isUtcDay(to)) throw new ValidationError(dayMessage(names.to), { field: 'to' });
  if (from !== undefined && days !== undefined) {
    throw new ValidationError(
      `Give either ${names.from} or ${names.days}, not both: ${names.days} counts back from ${names.to} (default today).`,
      { field: 'days' },
    );
  }
  if (from !== undefined && !isUtcDay(from)) throw new ValidationError(dayMessage(names.from), { field: 'from' });
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > MAX_USAGE_DAYS)) {
    throw new ValidationError(`${names.days} must be a whole number from 1 to ${MAX_USAGE_DAYS}.`, { field: 'days' });
  }
  const first = from ?? dayBefore(to, (days ?? DEFAULT_USAGE_DAYS) - 1);
  if (first > to) throw new ValidationError(`${names.from} (${first}) is after ${names.to} (${to}); swap them.`, { field: 'from' });
  if (first < dayBefore(to, MAX_USAGE_DAYS - 1)) {
    throw new ValidationError(`The range from ${first} to ${to} is longer than ${MAX_USAGE_DAYS} days; ask for it in parts.`, {
      field: 'from',
    });
  }
  return { from: first, to };
}
