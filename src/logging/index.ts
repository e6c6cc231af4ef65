/** Structured logs (pino), one logger for the process; secrets are redacted by path. */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Creates the process logger writing JSON lines to stderr. */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { service: 'claude-code-agent' },
      redact: { paths: ['req.headers["x-api-key"]', 'req.headers.authorization', '*.apiKey', '*.secret'], censor: '[redacted]' },
    },
    pino.destination(2),
  );
}

/** A logger that discards everything (tests, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
