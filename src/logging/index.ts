/** Structured logs (pino), one logger for the process; secrets are redacted by path. */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Where logs go besides stderr. */
export interface LoggerOptions {
  /** Also append the JSON lines to this file (its directory is created), e.g. `<data dir>/logs/cca.log` for `cca logs`. */
  file?: string;
}

/**
 * Creates the process logger writing JSON lines to stderr, and to `opts.file` when given.
 * @example const logger = createLogger(config.logLevel, { file: path.join(config.dataDir, 'logs', 'cca.log') });
 */
export function createLogger(level: string, opts: LoggerOptions = {}): Logger {
  const options = {
    level,
    base: { service: 'claude-code-agent' },
    redact: { paths: ['req.headers["x-api-key"]', 'req.headers.authorization', '*.apiKey', '*.secret'], censor: '[redacted]' },
  };
  if (opts.file === undefined) return pino(options, pino.destination(2));
  // Each stream takes every level: the logger's own level does the filtering.
  return pino(
    options,
    pino.multistream([
      { level: 'trace', stream: pino.destination(2) },
      { level: 'trace', stream: pino.destination({ dest: opts.file, mkdir: true, append: true }) },
    ]),
  );
}

/** A logger that discards everything (tests, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
