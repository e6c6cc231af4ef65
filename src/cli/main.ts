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
    case 'deploy':
      process.exitCode = await (await awsCommands()).deployCommand(args, process.env, processIo);
      return;
    case 'deploy-api':
      process.exitCode = await (await awsCommands()).deployApiCommand(args, process.env, processIo);
      return;
    case 'destroy':
      process.exitCode = await (await awsCommands()).destroyCommand(args, process.env, processIo);
      return;
    case 'info':
      process.exitCode = await (await awsCommands()).infoCommand(args, process.env, processIo);
      return;
    case 'download':
      process.exitCode = await (await awsCommands()).downloadCommand(args, process.env, processIo);
      return;
    case 'api-key':
      process.exitCode = await (await awsCommands()).apiKeyCommand(args, process.env, processIo);
      return;
    case 'logs':
      process.exitCode = await (await awsCommands()).logsCommand(args, process.env, processIo);
      return;
    case 'synth': {
      // Loaded on demand: the AWS CDK takes about a second to import, which no other command should pay.
      const { synthCommand } = await import('./synth.js');
      process.exitCode = synthCommand(args, process.env, processIo);
      return;
    }
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

/** The AWS commands, loaded on demand: their SDK clients take ~200 ms to import, which no other command should pay. */
function awsCommands() {
  return import('./aws/index.js');
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
