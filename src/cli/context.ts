/**
 * The one context every command runs with: where to write, the environment, and whatever a test
 * may inject instead of the real thing (clock, working directory, AWS clients, Ctrl-C, ...).
 */
import type { AwsClients } from './aws/clients.js';
import type { ProcessRunner } from './aws/process-runner.js';
import type { CliIo } from './io.js';

/** What a caller may inject; every field has a real default where it is used. */
export interface CommandDeps {
  /** Working directory: relative data dirs, deployment.json, --out. */
  cwd?: string;
  now?: () => Date;
  /** Milliseconds, for the spinner's elapsed time. */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Stops a command that would otherwise run until Ctrl-C (`cca logs --follow`). */
  signal?: AbortSignal;
  /** Subscribes to Ctrl-C and returns the unsubscribe; default: the process's SIGINT. */
  onInterrupt?: (handler: () => void) => () => void;
  /** Waits before each reconnect attempt of an event stream (milliseconds). */
  retryDelaysMs?: readonly number[];
  /** How long an event stream may stay silent before it is resumed (default STREAM_IDLE_MS). */
  idleTimeoutMs?: number;
  /** The bundled Lambda handler's directory (default: the package's dist/lambda). */
  lambdaCodeDir?: string;
  clients?: Partial<AwsClients>;
  run?: ProcessRunner;
  /** The checkout with package.json, dist/ and the Dockerfile (default: found from this file). */
  repoRoot?: string;
  /** Reads one line typed by the user; undefined when stdin is not a terminal. */
  readLine?: (question: string) => Promise<string | undefined>;
  /** Reads all of stdin; undefined when stdin is a terminal (nothing was piped in). */
  readStdin?: () => Promise<Buffer | undefined>;
}

/** A command's whole context: its streams, its environment and the injected dependencies. */
export interface CommandContext extends CommandDeps {
  env: NodeJS.ProcessEnv;
  io: CliIo;
}

/** Parsed flags by their long name without dashes (`'max-turns'`), as the commands read them. */
export type FlagValues = Record<string, string | string[] | boolean | undefined>;

/**
 * What commander parsed for a command: its flags (typed by the command that declares them) and its
 * positional arguments, which each command checks itself to say what is missing in its own words.
 */
export interface CommandInput<V = FlagValues> {
  values: V;
  positionals: string[];
}
