/**
 * The `cca` program on commander: the command table, help for each command (`cca help X` and
 * `cca X --help`), suggestions for mistyped commands and flags, and one error mapping.
 */
import { Command, Help } from 'commander';
import { toCommand, type CommandDef } from './commands/define.js';
import { COMMANDS, TOP_HELP_AFTER, TOP_HELP_BEFORE, VERSION } from './commands/index.js';
import type { CommandContext, CommandInput } from './context.js';
import { exitStatusOf } from './failure.js';
import type { CliIo } from './io.js';

/** Help lines wrap at this width, terminal or not, so help reads the same in a pipe and in tests. */
const HELP_WIDTH = 100;

/**
 * Runs `cca` with `argv` (without node and the script) and returns the exit status; nothing is
 * thrown: every failure is printed through `ctx.io` by `exitStatusOf`.
 * @example process.exitCode = await runCli(process.argv.slice(2), { env: process.env, io: processIo });
 */
export async function runCli(argv: string[], ctx: CommandContext): Promise<number> {
  let status: number = 0;
  const program = buildProgram(ctx.io, async (def, input) => {
    status = await (def.run as NonNullable<CommandDef['run']>)(input, ctx);
  });
  try {
    await program.parseAsync(withHelpDefault(argv, program), { from: 'user' });
    return status;
  } catch (err) {
    return exitStatusOf(err, ctx.io);
  }
}

/** The program, writing through `io`, with `onRun` called for the command that was asked for. */
export function buildProgram(io: CliIo, onRun: (def: CommandDef, input: CommandInput) => Promise<void>): Command {
  const program = new Command('cca')
    .usage('<command> [options]')
    .description(TOP_HELP_BEFORE)
    .version(VERSION, '-v, --version', 'Print the version.')
    .helpCommand('help [command]', 'Show this text, or the help of one command.');
  for (const def of COMMANDS) program.addCommand(toCommand(def, onRun));
  program.addHelpText('after', () => `\n${serveOptionsText(program)}${TOP_HELP_AFTER}`);
  configure(program, io);
  return program;
}

/** Every command writes through `io`, wraps help alike, suggests near names, and throws instead of exiting. */
function configure(cmd: Command, io: CliIo): void {
  cmd
    .helpOption('-h, --help', 'Show this help.')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: () => undefined })
    .configureHelp({
      helpWidth: HELP_WIDTH,
      // `--port N` as the old help wrote it, and commands by name only: the synopsis is in each command's help.
      optionTerm: (option) => option.flags.replace(/<([^>]+)>/g, '$1'),
      subcommandTerm: (sub) => sub.name(),
    })
    .showSuggestionAfterError(true)
    .exitOverride((err) => {
      // Which command failed, so an unknown flag or subcommand can point at the right help.
      throw Object.assign(err, { commandPath: pathOf(cmd), commandUsage: cmd.usage() });
    });
  if (cmd.parent !== null && cmd.commands.length > 0) cmd.helpCommand('help [command]', 'Show the help of one of these commands.');
  for (const sub of cmd.commands) configure(sub, io);
}

/** `cca keys create` for the keys create command. */
function pathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Without a command (`cca`, `cca keys`), help is what a person wants; commander would print it to
 * stderr as an error.
 */
function withHelpDefault(argv: string[], program: Command): string[] {
  let cmd = program;
  for (const arg of argv) {
    const sub = cmd.commands.find((c) => c.name() === arg);
    if (sub === undefined) return argv;
    cmd = sub;
  }
  return cmd.commands.length > 0 ? [...argv, '--help'] : argv;
}

/** The options of `cca serve` and `cca runtime`, listed in `cca --help` as before. */
function serveOptionsText(program: Command): string {
  const serve = program.commands.find((c) => c.name() === 'serve');
  if (serve === undefined) return '';
  const helper = new Help();
  helper.helpWidth = HELP_WIDTH;
  const terms = serve.options.map((o) => o.flags.replace(/<([^>]+)>/g, '$1'));
  const width = Math.max(...terms.map((t) => t.length));
  const items = serve.options.map((o, i) => helper.formatItem(terms[i] ?? '', width, o.description, helper));
  return `Options for serve and runtime (flags beat environment variables, which beat defaults):\n${items.join('\n')}\n`;
}
