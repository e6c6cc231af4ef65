/**
 * What a command needs from its process: where to write. Commands take an `io` and return an exit
 * status instead of touching `process`, so tests call them directly and read what they printed.
 */

/** The two output streams of a command. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stdout is a terminal: live progress may redraw a line there. */
  isTTY?: boolean;
}

/** Exit statuses shared by the commands. */
export const EXIT = {
  ok: 0,
  /** The request or operation failed (service refused it, unreachable, unknown id). */
  failure: 1,
  /** The command was called wrongly (bad flag, bad value, nothing to authenticate with). */
  usage: 2,
  /** The agent ran to the end but reported `success: false`. */
  runFailed: 3,
  /** Stopped by Ctrl-C (128 + SIGINT), as shells report it. */
  interrupted: 130,
} as const;

/**
 * The real process's streams.
 * @example process.exitCode = await apiCommand(args, process.env, processIo);
 */
export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  get isTTY() {
    return process.stdout.isTTY === true;
  },
};

/** A mistake in how the CLI was called: printed as `cca: <message>`, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
