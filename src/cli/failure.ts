/**
 * The one place the CLI turns an error into what a person reads and an exit status: usage
 * mistakes exit 2 with `cca: <message>`, expected failures 1 without a stack trace, anything
 * else 1 with its stack (a bug worth reporting).
 */
import { CommanderError } from 'commander';
import { ConfigError } from '../config/index.js';
import { EXIT, UsageError, type CliIo } from './io.js';

/** Commander's "exits" that are not failures: help or the version was printed. */
const PRINTED = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/**
 * Prints `err` for a person and returns the exit status it means.
 * @example catch (err) { return exitStatusOf(err, io); }
 */
export function exitStatusOf(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    if (PRINTED.has(err.code)) return EXIT.ok;
    io.stderr(`cca: ${commanderMessage(err)}\n`);
    return EXIT.usage;
  }
  if (err instanceof UsageError || err instanceof ConfigError) {
    io.stderr(`cca: ${err.message}\n`);
    return EXIT.usage;
  }
  if (err instanceof Error && 'code' in err && err.code === 'EADDRINUSE') {
    io.stderr(`cca: ${err.message}: another process uses that port; pick one with --port.\n`);
    return EXIT.failure;
  }
  io.stderr(`cca: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT.failure;
}

/**
 * Commander's message in the CLI's voice: no "error:" prefix, its "(Did you mean ...?)" kept, and
 * where to look when it has no suggestion.
 */
function commanderMessage(err: CommanderError): string {
  const [first = '', ...rest] = err.message.replace(/^error: /, '').split('\n');
  const suggestion = rest.join(' ').trim();
  const unknown = /^unknown command '(.*)'$/.exec(first);
  if (unknown) {
    const [parent, name] = splitCommand(unknown[1] ?? '', err);
    const head =
      parent === undefined
        ? `Unknown command "${name}". Run "cca help" for the list.`
        : `unknown ${parent} command "${name}" (run "cca ${parent} help" for its commands).`;
    return suggestion === '' ? head : `${head} ${suggestion}`;
  }
  // No near flag: show how the command is called (`cca invoke --promt x`: the task is an argument).
  const hint = err.code === 'commander.unknownOption' && suggestion === '' ? `. ${usageOf(err)} (see "${commandOf(err)} --help")` : '';
  // Capitalised as node's parseArgs wrote them before ("Unknown option '--colour'").
  return `${first.charAt(0).toUpperCase()}${first.slice(1)}${suggestion === '' ? '' : ` ${suggestion}`}${hint}`;
}

/** What `program.ts` records on commander's errors: the command and its synopsis. */
type Located = CommanderError & { commandPath?: string; commandUsage?: string };

/** The command an error came from, e.g. `cca keys create`. */
function commandOf(err: CommanderError): string {
  return (err as Located).commandPath ?? 'cca';
}

/** `Usage: cca invoke "TASK" [options]`. */
function usageOf(err: CommanderError): string {
  return `Usage: ${commandOf(err)} ${(err as Located).commandUsage ?? '[options]'}`;
}

/** `[parent, name]` for an unknown subcommand (`keys rotate`), `[undefined, name]` at the top. */
function splitCommand(name: string, err: CommanderError): [string | undefined, string] {
  const path = commandOf(err).split(' ').slice(1);
  return [path.length > 0 ? path.join(' ') : undefined, name];
}
