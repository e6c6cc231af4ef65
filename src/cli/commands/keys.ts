/** `cca keys create | list | revoke`: the API keys of a data directory. */
import { typed, type CommandDef, type OptionDef } from './define.js';

const DATA_DIR: OptionDef = { flags: '--data-dir <DIR>', env: 'CCA_DATA_DIR', help: "The service's data directory.", default: './.cca' };
const JSON_OUT: OptionDef = { flags: '--json', help: 'Print JSON.' };

const load = () => import('../keys.js');

/** `cca keys` and its three subcommands. */
export const KEYS_COMMAND: CommandDef = {
  name: 'keys',
  summary: "Create, list and revoke the service's API keys (cca keys help).",
  usage: '<create | list | revoke> [options]',
  description:
    "API keys of the service's data directory (--data-dir DIR / CCA_DATA_DIR; default ./.cca). " +
    'Only a hash of each key is stored: a key is shown once, when it is created. Invalid values exit with status 2.',
  after: 'Each has its own help: cca keys create --help.',
  subcommands: [
    {
      name: 'create',
      summary: 'Make a key and print it once (--json: {"id","name","key"}).',
      usage:
        '--name NAME [--rate 10] [--burst 20] [--quota 1000] [--concurrency 4] [--max-timeout S] [--max-turns N] [--max-budget USD] [--max-memory MB] [--max-pids N] [--max-cpus N] [--max-disk MB] [--json]',
      description:
        'Makes a key and prints it once. Limits: requests a second (token bucket rate), burst size, requests per UTC day, ' +
        "agent runs at once; optional caps on each run's timeout_s, max_turns and max_budget_usd (below the server's maxima), " +
        'and on what each run may use: memory, processes, CPUs and disk (below CCA_RUN_MEMORY_MB, CCA_RUN_PIDS, CCA_RUN_CPUS, CCA_RUN_DISK_MB).',
      options: [
        { flags: '--name <NAME>', help: 'A label for you, e.g. "ci-bot" (required).' },
        { flags: '--rate <N>', help: 'Requests a second (token bucket rate).', default: '10' },
        { flags: '--burst <N>', help: 'Burst size.', default: '20' },
        { flags: '--quota <N>', help: 'Requests per UTC day.', default: '1000' },
        { flags: '--concurrency <N>', help: 'Agent runs at once.', default: '4' },
        { flags: '--max-timeout <S>', help: "Cap on each run's timeout_s." },
        { flags: '--max-turns <N>', help: "Cap on each run's max_turns." },
        { flags: '--max-budget <USD>', help: "Cap on each run's max_budget_usd." },
        { flags: '--max-memory <MB>', help: "Cap on the memory of all of a run's processes together." },
        { flags: '--max-pids <N>', help: 'Cap on the processes and threads a run may have at once.' },
        { flags: '--max-cpus <N>', help: 'Cap on the CPUs a run may use (fractions allowed, e.g. 0.5).' },
        { flags: '--max-disk <MB>', help: "Cap on what a run's workspace, home and tmp may hold (and its largest file)." },
        { flags: '--json', help: 'Print {"id","name","key"}.' },
        DATA_DIR,
      ],
      run: async (input, ctx) => (await load()).createKey(typed(input), ctx),
    },
    {
      name: 'list',
      summary: 'Every key: id, name, created, status (active/revoked), limits, requests used today.',
      options: [JSON_OUT, DATA_DIR],
      run: async (input, ctx) => (await load()).listKeys(typed(input), ctx),
    },
    {
      name: 'revoke',
      summary: 'Refuse the key from now on (403 Forbidden). Exit status 1 if there is no such key.',
      usage: 'ID',
      positionals: true,
      options: [DATA_DIR],
      run: async (input, ctx) => (await load()).revokeKey(typed(input), ctx),
    },
  ],
};
