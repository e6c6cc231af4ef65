/**
 * `npm start --port 9000`: npm (11) takes a flag it does not know for a setting of its own, hands
 * the script `npm_config_port=true` and passes the value on alone, without its name
 * (`--port=9000` arrives whole as `npm_config_port=9000`; `npm start -- --port 9000` passes the flag
 * itself). `npmStartArgs` puts the flags of `cca serve` back together from those pieces.
 */
import type { OptionDef } from './commands/define.js';

/** The arguments for `cca serve`, with a note per flag put back; or why they cannot be known. */
export type NpmStartArgs = { args: string[]; notes: string[] } | { error: string };

const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

/**
 * The arguments `cca serve` should get for `npm start` with `argv` (what npm passed the script)
 * and `env` (npm's `npm_config_*`), given the serve `options`.
 * @example npmStartArgs(['9000'], { npm_config_port: 'true' }, options) // { args: ['--port', '9000'], notes: [...] }
 */
export function npmStartArgs(argv: string[], env: Record<string, string | undefined>, options: OptionDef[]): NpmStartArgs {
  const flags = options.map((o) => ({ long: o.flags.split(' ')[0] ?? o.flags, value: /<[^>]+>/.exec(o.flags)?.[0] }));
  const recovered: string[] = [];
  const nameless: typeof flags = [];
  for (const flag of flags) {
    const negated = flag.long.startsWith('--no-');
    const setting = env[`npm_config_${(negated ? flag.long.slice(5) : flag.long.slice(2)).replaceAll('-', '_')}`];
    if (setting === undefined) continue;
    // npm stores `--no-sandbox` as sandbox = false (""), and a flag without a value as "true".
    if (negated) {
      if (setting === '') recovered.push(flag.long);
    } else if (flag.value === undefined) {
      if (setting === 'true') recovered.push(flag.long);
    } else if (setting === 'true') nameless.push(flag);
    else if (setting !== '') recovered.push(flag.long, setting);
  }

  // The values npm left without their names: arguments that are neither flags nor a flag's value.
  const valued = new Set(flags.filter((f) => f.value !== undefined).map((f) => f.long));
  const orphans: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('-')) {
      rest.push(arg);
      if (valued.has(arg) && i + 1 < argv.length) rest.push(argv[++i]!);
    } else (nameless.length > 0 ? orphans : rest).push(arg);
  }
  if (nameless.length > 0) {
    const assignment = assign(nameless, orphans);
    if (assignment === undefined) {
      const names = nameless.map((f) => f.long).join(' and ');
      const example = nameless.map((f) => `${f.long} ${f.value ?? ''}`).join(' ');
      const heard =
        orphans.length === 0
          ? `passed no value for ${nameless.length === 1 ? 'it' : 'them'}`
          : `passed ${orphans.join(' ')} without ${nameless.length === 1 ? 'its name' : 'their names'}, so which value is whose is not known`;
      return {
        error: `npm took ${names} for ${nameless.length === 1 ? 'a setting' : 'settings'} of its own and ${heard}. Put the flags after --: npm start -- ${example}`,
      };
    }
    for (const [flag, value] of assignment) recovered.push(flag.long, value);
  }
  const count = recovered.filter((a) => a.startsWith('--')).length;
  const notes =
    count === 0
      ? []
      : [
          `passing ${recovered.join(' ')} on to cca serve (npm read ${count === 1 ? 'it' : 'them'} as its own; "npm start -- FLAGS" avoids npm's warning)`,
        ];
  return { args: [...recovered, ...rest], notes };
}

/** The one way to give each flag one value that suits it, in some order; undefined if none or several. */
function assign<F extends { long: string; value: string | undefined }>(flags: F[], values: string[]): [F, string][] | undefined {
  if (flags.length !== values.length || flags.length > 6) return undefined;
  const found = new Set<string>();
  let first: [F, string][] | undefined;
  for (const order of permutations(values)) {
    if (!flags.every((f, i) => suits(f, order[i]!))) continue;
    found.add(JSON.stringify(order));
    first ??= flags.map((f, i) => [f, order[i]!]);
  }
  return found.size === 1 ? first : undefined;
}

/** Whether `value` can be the value of `flag`: ports are numbers, hosts are no paths, levels are levels. */
function suits(flag: { value: string | undefined }, value: string): boolean {
  if (flag.value === '<N>') return /^\d+$/.test(value);
  if (flag.value === '<HOST>') return !value.includes('/') && !/^\d+$/.test(value);
  if (flag.value === '<LEVEL>') return LOG_LEVELS.has(value);
  return true;
}

function permutations(values: string[]): string[][] {
  if (values.length <= 1) return [values];
  return values.flatMap((v, i) => permutations([...values.slice(0, i), ...values.slice(i + 1)]).map((p) => [v, ...p]));
}
