/**
 * The shape of the command table and how one entry becomes a commander `Command`. The table
 * holds only text and lazy loaders, so `cca --help` or `cca keys list` never imports the AWS SDK
 * or the CDK.
 */
import { Command, Option } from 'commander';
import type { CommandContext, CommandInput, FlagValues } from '../context.js';

/** One flag: commander's `flags` (`--port <N>`), the variable it falls back to, its help and default. */
export interface OptionDef {
  flags: string;
  env?: string;
  help: string;
  default?: string;
  /** Given more than once, its values are collected in order (`--file a --file b`). */
  repeatable?: boolean;
}

/** One command of the table. */
export interface CommandDef {
  name: string;
  /** One line in `cca --help`. */
  summary: string;
  /** The synopsis after `cca <name>`, e.g. `"TASK" [options]`. */
  usage?: string;
  /** The paragraph at the top of its own help. */
  description?: string;
  /** Whether it takes positional arguments (it checks their number itself, in its own words). */
  positionals?: boolean;
  options?: OptionDef[];
  /** Examples, exit statuses: printed after the options. */
  after?: string;
  subcommands?: CommandDef[];
  /** Loads and runs the command; returns its exit status. */
  run?: (input: CommandInput, ctx: CommandContext) => Promise<number>;
}

/**
 * The input as the flags type its command declares: commander gives a string for each `<value>`
 * flag and a boolean for the others, as the table entry beside declares them.
 * @example run: async (input, ctx) => (await import('../api.js')).runApi(typed(input), ctx)
 */
export function typed<V>(input: CommandInput): CommandInput<V> {
  return input as CommandInput<V>;
}

/** The options every command that calls the service takes. */
export const CONNECTION: OptionDef[] = [
  { flags: '--endpoint <URL>', env: 'CCA_ENDPOINT', help: 'Service URL; a trailing /invoke is allowed.', default: 'http://127.0.0.1:8080' },
  { flags: '--api-key <KEY>', env: 'CCA_API_KEY', help: 'API key.', default: 'the file <data dir>/.api_key' },
  { flags: '--data-dir <DIR>', env: 'CCA_DATA_DIR', help: 'Where to find .api_key (cca serve writes it).', default: './.cca' },
];

/** `--region` of the AWS commands. */
export const REGION: OptionDef = {
  flags: '--region <R>',
  help: 'AWS region.',
  default: '--region, else deployment.json, else AWS_REGION / AWS_DEFAULT_REGION, else ap-northeast-1',
};

/** The option's help line: variable, text, default. */
export function optionHelp(o: OptionDef): string {
  const env = o.env === undefined ? '' : `${o.env.padEnd(14)} `;
  return `${env}${o.help}${o.default === undefined ? '' : ` [${o.default}]`}`;
}

/**
 * Builds the commander command of `def`; `onRun` receives the parsed input when it is invoked.
 * @example program.addCommand(toCommand(def, (def, input) => def.run!(input, ctx)));
 */
export function toCommand(def: CommandDef, onRun: (def: CommandDef, input: CommandInput) => Promise<void>): Command {
  const cmd = new Command(def.name).summary(def.summary).description(def.description ?? def.summary);
  if (def.usage !== undefined) cmd.usage(def.usage);
  for (const o of def.options ?? []) {
    const option = new Option(o.flags, optionHelp(o));
    if (o.repeatable) option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    cmd.addOption(option);
  }
  if (def.positionals) cmd.argument('[args...]');
  if (def.after !== undefined) cmd.addHelpText('after', `\n${def.after.trimEnd()}`);
  for (const sub of def.subcommands ?? []) cmd.addCommand(toCommand(sub, onRun));
  if (def.run !== undefined) cmd.action((...args: unknown[]) => onRun(def, inputOf(args.at(-1) as Command)));
  return cmd;
}

/** The flags by long name (`max-turns`), as node's parseArgs gave them before commander. */
function inputOf(cmd: Command): CommandInput {
  const opts = cmd.opts();
  const values: FlagValues = {};
  for (const option of cmd.options) {
    const long = (option.long ?? '').replace(/^--/, '');
    const value = opts[option.attributeName()] as string | boolean | undefined;
    // `--no-sandbox` is a flag of its own here (loadConfig reads it), not commander's negation of `--sandbox`.
    if (option.negate) values[long] = value === false ? true : undefined;
    else values[long] = value;
  }
  return { values, positionals: cmd.args };
}
