/**
 * The `cca` command line: dispatches to one command; usage errors exit 2 with a message.
 */
import { ConfigError } from '../config/index.js';
import { apiCommand } from './api.js';
import { approveCommand } from './approve.js';
import { cancelCommand } from './cancel.js';
import { USAGE, VERSION } from './help.js';
import { invokeCommand } from './invoke.js';
import { isParseArgsError, processIo, UsageError } from './io.js';
import { keysCommand } from './keys.js';
import { serveCommand } from './serve.js';
import { sessionCommand } from './session.js';
import { sessionsCommand } from './sessions.js';

export { UsageError } from './io.js';

/** Runs the CLI with `argv` (without node and the script). */
export async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  switch (command) {
    case 'serve':
      return serveCommand(args, 'serve');
    case 'runtime':
      return serveCommand(args, 'runtime');
    case 'invoke':
      process.exitCode = await invokeCommand(args, process.env, processIo);
      return;
    case 'api':
      process.exitCode = await apiCommand(args, process.env, processIo);
      return;
    case 'sessions':
      process.exitCode = await sessionsCommand(args, process.env, processIo);
      return;
    case 'session':
      process.exitCode = await sessionCommand(args, process.env, processIo);
      return;
    case 'cancel':
      process.exitCode = await cancelCommand(args, process.env, processIo);
      return;
    case 'approve':
      process.exitCode = await approveCommand(args, process.env, processIo);
      return;
    case 'keys':
      process.exitCode = keysCommand(args, process.env, processIo);
      return;
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

/** Prints a failure the way a person needs it: a message, no stack trace for expected errors. */
export function reportFailure(err: unknown): number {
  if (err instanceof UsageError || err instanceof ConfigError || isParseArgsError(err)) {
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
