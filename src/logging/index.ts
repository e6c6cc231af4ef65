/** Structured logs (pino), one logger for the process; secrets are redacted by path. */
import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';

export type { Logger };

/** Where logs go besides stderr. */
export interface LoggerOptions {
  /** Also append the JSON lines to this file (its directory is created 0700, the file 0600), e.g. `<data dir>/logs/cca.log` for `cca logs`. */
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
  // Logs name sessions, keys and prompts: only the service's user may read them, old files included.
  fs.mkdirSync(path.dirname(opts.file), { recursive: true, mode: 0o700 });
  fs.closeSync(fs.openSync(opts.file, 'a', 0o600));
  fs.chmodSync(opts.file, 0o600);
  // Each stream takes every level: the logger's own level does the filtering.
  return pino(
    options,
    pino.multistream([
      { level: 'trace', stream: pino.destination(2) },
      { level: 'trace', stream: pino.destination({ dest: opts.file, append: true, mode: 0o600 }) },
    ]),
  );
}

/** A logger that discards everything (tests, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
