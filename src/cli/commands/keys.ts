/** `cca keys create | list | show | update | webhook-secret | revoke`: the API keys of a data directory. */
import { typed, type CommandDef, type OptionDef } from './define.js';

const DATA_DIR: OptionDef = { flags: '--data-dir <DIR>', env: 'CCA_DATA_DIR', help: "The service's data directory.", default: './.cca' };
const JSON_OUT: OptionDef = { flags: '--json', help: 'Print JSON.' };

const load = () => import('../keys.js');

/** Limits `create` and `update` share (update has no defaults: what is not given stays). */
const LIMITS: OptionDef[] = [
  { flags: '--rate <N>', help: 'Requests a second (token bucket rate).' },
  { flags: '--burst <N>', help: 'Burst size.' },
  { flags: '--quota <N>', help: 'Invocations and uploads per UTC day (reads count only against --rate and --burst).' },
  { flags: '--concurrency <N>', help: 'Agent runs at once.' },
  { flags: '--max-timeout <S>', help: "Cap on each run's timeout_s." },
  { flags: '--max-turns <N>', help: "Cap on each run's max_turns." },
  { flags: '--max-budget <USD>', help: "Cap on each run's max_budget_usd." },
  { flags: '--max-memory <MB>', help: "Cap on the memory of all of a run's processes together (below CCA_RUN_MEMORY_MB)." },
  { flags: '--max-pids <N>', help: 'Cap on the processes and threads a run may have at once (below CCA_RUN_PIDS).' },
  { flags: '--max-cpus <N>', help: 'Cap on the CPUs a run may use, fractions allowed, e.g. 0.5 (below CCA_RUN_CPUS).' },
  { flags: '--max-disk <MB>', help: "Cap on what a run's workspace, home and tmp may hold, and its largest file (below CCA_RUN_DISK_MB)." },
  { flags: '--max-queued <N>', help: 'Runs it may have waiting for a slot (default: CCA_MAX_QUEUED_PER_KEY, a quarter of the queue).' },
  { flags: '--max-upload-mb <MB>', help: 'Cap on what one upload into a session may write (below CCA_UPLOAD_MAX_MB, 100).' },
  { flags: '--max-upload-files <N>', help: 'Cap on the files one upload into a session may write (below CCA_UPLOAD_MAX_FILES, 1000).' },
  { flags: '--storage-quota <MB>', help: 'MiB of stored files it may have, 0 for none (default: CCA_STORAGE_QUOTA_MB, 10240).' },
];
/** Spending limits: what the key's runs may cost per UTC day and month. */
const BUDGETS: OptionDef[] = [
  {
    flags: '--budget-usd-day <USD>',
    help: 'US dollars its runs may cost per UTC day (00:00 to 24:00 UTC), e.g. 5; 0 allows nothing; none removes it. Over it: 402 until midnight UTC.',
  },
  {
    flags: '--budget-usd-month <USD>',
    help: 'US dollars its runs may cost per UTC calendar month; 0 allows nothing; none removes it. Over it: 402 until the 1st, 00:00 UTC.',
  },
];
/** Git credentials per host, for repository sessions (clone, push, pull request). */
const GIT_CREDENTIAL: OptionDef = {
  flags: '--git-credential <HOST=TOKEN>',
  repeatable: true,
  help:
    'A token the service uses for git and the GitHub API on HOST (e.g. github.com=github_pat_...) when this key starts a session ' +
    'from a repository there; repeat for more hosts; HOST= (empty token) removes it. Stored encrypted with a key derived from the ' +
    "service's signing secret (CCA_SIGNING_SECRET or <data dir>/.signing_key); only hosts are ever shown.",
};
/** The key's default webhook, for requests that name none. */
const WEBHOOK_OPTIONS: OptionDef[] = [
  {
    flags: '--webhook-url <URL>',
    help:
      'Default webhook of the key\'s requests (a request\'s own webhook wins; "webhook": null turns it off): an https URL ' +
      '(http only to CCA_PRIVATE_HOSTS); update: "none" removes it.',
  },
  {
    flags: '--webhook-events <LIST>',
    help:
      'Its event types, comma-separated: invocation.completed, invocation.failed, invocation.cancelled, invocation.timed_out, ' +
      'permission.request ("all", the default, for every one).',
  },
];
const CREATE_DEFAULTS: Record<string, string> = { '--rate': '10', '--burst': '20', '--quota': '1000', '--concurrency': '4' };

/** `cca keys` and its subcommands. */
export const KEYS_COMMAND: CommandDef = {
  name: 'keys',
  summary: "Create, list, show, update and revoke the service's API keys, and their webhook secrets (cca keys help).",
  usage: '<create | list | show | update | webhook-secret | revoke> [options]',
  description:
    "API keys of the service's data directory (--data-dir DIR / CCA_DATA_DIR; default ./.cca). " +
    'Only a hash of each key is stored: a key is shown once, when it is created. Git credentials registered for a key ' +
    '(--git-credential HOST=TOKEN) are stored encrypted and never printed, only their hosts. Each key has a webhook secret ' +
    '(whsec_...) its webhook deliveries are signed with, stored encrypted the same way: printed at creation and by ' +
    'cca keys webhook-secret ID. Invalid values exit with status 2.',
  after: 'Each has its own help: cca keys create --help.',
  subcommands: [
    {
      name: 'create',
      summary: 'Make a key and print it once, with its webhook secret (--json: {"id","name","key","webhook_secret"}).',
      usage:
        '--name NAME [--rate 10] [--burst 20] [--quota 1000] [--concurrency 4] [--max-timeout S] [--max-turns N] [--max-budget USD] ' +
        '[--max-memory MB] [--max-pids N] [--max-cpus N] [--max-disk MB] [--max-queued N] [--storage-quota MB] [--max-upload-mb MB] [--max-upload-files N] ' +
        '[--budget-usd-day USD] [--budget-usd-month USD] [--git-credential HOST=TOKEN]... [--webhook-url URL [--webhook-events LIST]] [--json]',
      description:
        'Makes a key and prints it once, with the secret that signs its webhook deliveries. Limits: requests a second (token bucket rate), burst size, requests per UTC day, ' +
        "agent runs at once; optional caps on each run's timeout_s, max_turns and max_budget_usd (below the server's maxima), " +
        'on what each run may use (memory, processes, CPUs, disk) and each upload may write, its own share of the run queue and of stored files (else the server defaults), ' +
        'and what its runs may cost per UTC day and month (budgets; none by default).',
      options: [
        { flags: '--name <NAME>', help: 'A label for you, e.g. "ci-bot" (required).' },
        ...LIMITS.map((o) => {
          const fallback = CREATE_DEFAULTS[o.flags.split(' ')[0] as string];
          return fallback === undefined ? o : { ...o, default: fallback };
        }),
        ...BUDGETS,
        GIT_CREDENTIAL,
        ...WEBHOOK_OPTIONS,
        { flags: '--json', help: 'Print {"id","name","key","webhook_secret"}.' },
        DATA_DIR,
      ],
      run: async (input, ctx) => (await load()).createKey(typed(input), ctx),
    },
    {
      name: 'list',
      summary:
        'Every key: id, name, created, status (active/revoked), limits, quota used today (invocations and uploads), spent today and this month (UTC) against its budgets, git credential hosts.',
      options: [JSON_OUT, DATA_DIR],
      run: async (input, ctx) => (await load()).listKeys(typed(input), ctx),
    },
    {
      name: 'show',
      summary:
        'One key: its limits, budgets and what it spent today and this month (UTC), status and the hosts it has git credentials for (never the tokens). Exit status 1 if there is no such key.',
      usage: 'ID [--json]',
      positionals: true,
      options: [JSON_OUT, DATA_DIR],
      run: async (input, ctx) => (await load()).showKey(typed(input), ctx),
    },
    {
      name: 'update',
      summary: 'Change some limits of a key; the others stay. Exit status 1 if there is no such key.',
      usage:
        'ID [--rate N] [--burst N] [--quota N] [--concurrency N] [--max-timeout S|default] [--max-turns N|default] ' +
        '[--max-budget USD|default] [--max-memory MB|default] [--max-pids N|default] [--max-cpus N|default] [--max-disk MB|default] ' +
        '[--max-queued N|default] [--storage-quota MB|default] [--max-upload-mb MB|default] [--max-upload-files N|default] ' +
        '[--budget-usd-day USD|none] [--budget-usd-month USD|none] [--git-credential HOST=TOKEN|HOST=]... ' +
        '[--webhook-url URL|none] [--webhook-events LIST|all] [--json]',
      description:
        'Changes the limits given and keeps the others. "default" puts a cap or share back to the server default; "none" removes a budget. ' +
        '--git-credential HOST=TOKEN adds or replaces the credential for HOST, HOST= removes it. ' +
        '--webhook-url sets the default webhook (a key without a webhook secret gets one, printed), "none" removes it. ' +
        'A running service applies the change from the next request.',
      positionals: true,
      options: [
        ...LIMITS,
        ...BUDGETS,
        GIT_CREDENTIAL,
        ...WEBHOOK_OPTIONS,
        { flags: '--json', help: 'Print the key (without its secret) as JSON.' },
        DATA_DIR,
      ],
      run: async (input, ctx) => (await load()).updateKey(typed(input), ctx),
    },
    {
      name: 'webhook-secret',
      summary: "Print the secret the key's webhook deliveries are signed with (made if it has none); --rotate replaces it.",
      usage: 'ID [--rotate [--grace-hours 24]] [--json]',
      description:
        "Prints the key's webhook secret (whsec_...), for its holder to verify the webhook-signature header of each delivery " +
        '(Standard Webhooks). --rotate makes a new one; for --grace-hours (24 by default; 0 if the old one leaked) deliveries carry a ' +
        'signature with each, so receivers switch without missing one. Exit status 1 if there is no such key.',
      positionals: true,
      options: [
        { flags: '--rotate', help: 'Replace the secret with a new one.' },
        { flags: '--grace-hours <H>', help: 'With --rotate: hours the previous secret keeps signing beside the new one.', default: '24' },
        { flags: '--json', help: 'Print {"id","webhook_secret"}.' },
        DATA_DIR,
      ],
      run: async (input, ctx) => (await load()).webhookSecret(typed(input), ctx),
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
