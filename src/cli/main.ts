/**
 * The `cca` command line: the process's side of `runCli` (its arguments, environment and streams).
 */
import { exitStatusOf } from './failure.js';
import { processIo } from './io.js';
import { runCli } from './program.js';

export { UsageError } from './io.js';
export { runCli } from './program.js';

/**
 * Runs the CLI with `argv` (without node and the script) and returns the exit status.
 * @example process.exitCode = await main(process.argv.slice(2));
 */
export function main(argv: string[]): Promise<number> {
  // A reader that stops early (`cca --help | head`) is no failure of ours: end quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  return runCli(argv, { env: process.env, io: processIo });
}

/** Prints an error that escaped `main` (there should be none) and returns its exit status. */
export function reportFailure(err: unknown): number {
  return exitStatusOf(err, processIo);
}
