/**
 * The `cca` command line: dispatches to one command; usage errors exit 2 with a message.
 */
import { ConfigError } from '../config/index.js';
import { USAGE, VERSION } from './help.js';
import { serveCommand } from './serve.js';

/** Runs the CLI with `argv` (without node and the script). */
export async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  switch (command) {
    case 'serve':
      return serveCommand(args, 'serve');
    case 'runtime':
      return serveCommand(args, 'runtime');
    case 'version':
    case '--version':
    case '-v':
      process.stdout.write(`${VERSION}\n`);
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      throw new UsageError(`Unknown command "${command}". Run "cca help" for the list.`);
  }
}

/** A mistake in how the CLI was called. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Prints a failure the way a person needs it: a message, no stack trace for expected errors. */
export function reportFailure(err: unknown): number {
  if (
    err instanceof UsageError ||
    err instanceof ConfigError ||
    (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
  ) {
    process.stderr.write(`cca: ${err.message}\n`);
    return 2;
  }
  if (err instanceof Error && 'code' in err && err.code === 'EADDRINUSE') {
    process.stderr.write(`cca: ${err.message}: another process uses that port; pick one with --port.\n`);
    return 1;
  }
  process.stderr.write(`cca: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}
