/** Log lines for a person: pino's JSON lines become "time LEVEL message key=value". */

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SKIP = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service']);

/**
 * Formats one line; lines that are not pino JSON come back as they are.
 * @example formatLogLine('{"level":30,"time":0,"msg":"listening","url":"http://x"}') // '1970-01-01T00:00:00.000Z INFO  listening url=http://x'
 */
export function formatLogLine(line: string): string {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null || !('level' in entry) || !('time' in entry)) return line;
  const record = entry as Record<string, unknown>;
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString() : String(record.time);
  const level = (typeof record.level === 'number' ? (LEVELS[record.level] ?? String(record.level)) : String(record.level)).padEnd(5);
  const fields = Object.entries(record)
    .filter(([key]) => !SKIP.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return [time, level, typeof record.msg === 'string' ? record.msg : '', ...fields].filter((p) => p !== '').join(' ');
}

/** The time of a pino line in ms, or undefined. */
export function lineTime(line: string): number | undefined {
  const match = /"time":(\d+)/.exec(line);
  return match ? Number(match[1]) : undefined;
}

/**
 * `--since`: 30s, 10m, 2h, 1d → milliseconds; undefined when it is not one of those.
 * @example parseSince('10m') // 600000
 */
export function parseSince(raw: string): number | undefined {
  const match = /^(\d+)\s*(s|m|h|d)$/.exec(raw.trim());
  if (!match) return undefined;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
