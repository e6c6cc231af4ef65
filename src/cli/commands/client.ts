/** The commands that call the service over HTTP with an API key: api, invoke, sessions, session, cancel, approve. */
import { CONNECTION, typed, type CommandDef, type OptionDef } from './define.js';

/** Run options `api` and `invoke` share. */
const RUN_OPTIONS: OptionDef[] = [
  {
    flags: '--permission-mode <MODE>',
    help: "acceptEdits (default), acceptAll, manual (approve each tool use with cca approve), or the SDK's names.",
  },
  { flags: '--allowed-tools <LIST>', help: 'Comma-separated tool names, e.g. "Bash,Read,Write,Edit".' },
  {
    flags: '--allowed-domains <LIST>',
    help: 'Hosts the run may connect to besides the model, e.g. "github.com,*.pypi.org" ("none": the model only).',
  },
  {
    flags: '--mcp-servers <LIST>',
    help: 'MCP servers the operator declared whose tools the run may use, e.g. "docs,gateway" ("none": none); name tools with --allowed-tools mcp__<server>__<tool>.',
  },
  {
    flags: '--session <ID>',
    help: 'Continue a session (its id is printed after each run). With --runtime(-arn): an AgentCore session id, at least 33 characters.',
  },
  { flags: '--max-turns <N>', help: 'Stop after N agent turns.' },
  { flags: '--repo <URL>', help: 'Start a new session from this git repository (https URL), cloned by the service.' },
  { flags: '--ref <REF>', help: "With --repo: a branch, tag or commit id (default: the repository's default branch)." },
  { flags: '--depth <N>', help: 'With --repo: commits of history to fetch (default 1; 0: all).' },
  {
    flags: '--git-token <TOKEN>',
    env: 'CCA_GIT_TOKEN',
    help: 'Token for the repository (private clone, push, pull request); used by the service only, never by the run. Prefer the variable: a flag shows in ps.',
  },
  { flags: '--push <BRANCH>', help: 'After the run, commit its changes and push them to BRANCH (never forced).' },
  { flags: '--commit-message <TEXT>', help: 'With --push: the commit message (default: from the task).' },
  { flags: '--pr', help: 'With --push: open a GitHub pull request from BRANCH.' },
  { flags: '--pr-title <TEXT>', help: 'With --pr: its title (default: the first line of the task).' },
];
const TIMEOUT: OptionDef = { flags: '--timeout <S>', help: 'Stop the run after S seconds.' };
const BUDGET: OptionDef = { flags: '--max-budget <USD>', help: 'Stop when the run has cost this many US dollars, e.g. 0.50.' };

const INVOKE: CommandDef = {
  name: 'invoke',
  summary: 'Send a task and watch it live: tool calls, approvals, stored files, then the result.',
  usage: '"TASK" [options]',
  description:
    'Sends TASK to POST <endpoint>/invoke and shows the run live: one line per tool call ("→ Bash  npm test"), per approval ' +
    'request with the command that answers it, per decision and per stored file with its download link (the first 10; the ' +
    'rest are counted), and a "queued" line only when the run waits for a slot; on a terminal, a spinner with the elapsed ' +
    'time. Then the result as "cca api" prints it, with long file lists summed up and the commands that list or download ' +
    'them all. If the connection drops, the stream is resumed ' +
    'where it broke. Ctrl-C stops watching, not the run: it prints how to watch again or cancel.',
  positionals: true,
  options: [
    ...CONNECTION,
    ...RUN_OPTIONS,
    BUDGET,
    TIMEOUT,
    {
      flags: '--async',
      help: "Start the run and return: prints the session and invocation ids and the status and events URLs (with --json, the service's answer).",
    },
    { flags: '--json', help: 'Print only the final result JSON ({"output": {...}}), no progress; approval requests still go to stderr.' },
    {
      flags: '--file <PATH>',
      help: 'Upload this file into the session first (repeatable), at its path relative to the current folder; a new session id is made if --session is not given.',
      repeatable: true,
    },
    { flags: '--dir <DIR>', help: "Upload this folder's contents into the session first, as a tar.gz (symbolic links are left out)." },
    {
      flags: '--runtime-arn <ARN>',
      help: 'AgentCore Runtime directly (AWS credentials instead of an API key): call this runtime with InvokeAgentRuntime.',
    },
    { flags: '--runtime', help: 'The runtime of ./deployment.json (written by cca deploy).' },
    { flags: '--region <R>', help: 'With --runtime(-arn): region of the call.', default: 'the region in the ARN' },
  ],
  after:
    'Exit status: 0 success (or started, with --async), 1 the request failed or the stream was lost,\n' +
    '2 bad usage or no API key, 3 the run finished without success, 130 Ctrl-C.\n' +
    'AWS_ENDPOINT_URL_BEDROCK_AGENTCORE points --runtime(-arn) calls at another endpoint.\n\n' +
    'Examples:\n' +
    '  cca invoke "Create a FastAPI server with a health check endpoint"\n' +
    '  cca invoke "Clean up the repo" --permission-mode manual\n' +
    '  cca invoke "Write the docs" --async\n' +
    '  cca invoke "Fix the failing test" --dir ./myproject\n' +
    '  cca invoke "Fix the failing test" --repo https://github.com/acme/app.git --push cca/fix-test --pr\n' +
    '  cca invoke "Explain this script" --file app.py --file lib/util.py\n' +
    '  cca invoke "Create a hello world Python script" --runtime',
  run: async (input, ctx) => (await import('../invoke.js')).runInvoke(typed(input), ctx),
};

const API: CommandDef = {
  name: 'api',
  summary: "Send a task to the service's /invoke with an API key; print the result and files.",
  usage: '"TASK" [options]',
  description:
    'Sends TASK to POST <endpoint>/invoke with the header x-api-key and waits for the result. Prints the result text, ' +
    'success or failure, session id, model, duration, turns, cost, and the stored files with their download links.',
  positionals: true,
  options: [...CONNECTION, ...RUN_OPTIONS, TIMEOUT, { flags: '--json', help: "Print the service's JSON response as received." }],
  after:
    'Exit status: 0 success, 1 the request failed, 2 bad usage or no API key, 3 the run finished without success\n' +
    '(its errors go to stderr).\n\n' +
    'Examples:\n' +
    '  cca api "Create a FastAPI server with a health check endpoint"\n' +
    '  cca api "Add tests" --session SESSION_ID --max-turns 20\n' +
    '  CCA_ENDPOINT=https://ID.execute-api.REGION.amazonaws.com/prod CCA_API_KEY=KEY cca api "..." --json',
  run: async (input, ctx) => (await import('../api.js')).runApi(typed(input), ctx),
};

const SESSIONS: CommandDef = {
  name: 'sessions',
  summary: 'List your sessions (id, status, created, invocations, last prompt).',
  usage: '[--limit N] [--all] [--json]',
  description: 'Lists the sessions of your API key, newest first: id, status, created, invocations, last prompt.',
  positionals: true,
  options: [
    { flags: '--limit <N>', help: 'Sessions per page, 1 to 100.', default: '20' },
    { flags: '--all', help: 'Follow every page, not just the first.' },
    { flags: '--json', help: "Print the service's answer (with --all: every session in one list)." },
    ...CONNECTION,
  ],
  run: async (input, ctx) => (await import('../sessions.js')).runSessions(typed(input), ctx),
};

const SESSION: CommandDef = {
  name: 'session',
  summary: "Show one session's invocations and files; --watch follows the run in progress.",
  usage: 'SESSION_ID [--watch] [--json]',
  description:
    "Shows a session: its status and each invocation's status, prompt, result, cost, turns and stored files with their download links.",
  positionals: true,
  options: [
    {
      flags: '--watch',
      help: "Then follow the invocation in progress live, as cca invoke shows it, to its end (exit status as cca invoke's). Ctrl-C stops watching, not the run.",
    },
    { flags: '--json', help: "Print the service's JSON (with --watch: the session once the run is over)." },
    ...CONNECTION,
  ],
  run: async (input, ctx) => (await import('../session.js')).runSession(typed(input), ctx),
};

const CANCEL: CommandDef = {
  name: 'cancel',
  summary: 'Stop the run in progress in a session (the files written so far are stored).',
  usage: 'SESSION_ID',
  description: 'Stops the run in progress in the session; the files it wrote so far are stored.',
  positionals: true,
  options: CONNECTION,
  after: 'Exit status 1 when nothing is running there.',
  run: async (input, ctx) => (await import('../cancel.js')).runCancel(typed(input), ctx),
};

const APPROVE: CommandDef = {
  name: 'approve',
  summary: 'Allow or deny a tool use waiting for approval (permission mode manual).',
  usage: 'SESSION_ID REQUEST_ID [--deny] [--message TEXT]',
  description:
    'Answers a tool use waiting for approval (permission mode manual). cca invoke prints this command with both ids when a request arrives. Without --deny the tool use is allowed.',
  positionals: true,
  options: [
    { flags: '--deny', help: 'Refuse it instead.' },
    { flags: '--message <TEXT>', help: 'Tell the agent why (sent with the decision).' },
    ...CONNECTION,
  ],
  after: 'Exit status 1 when there is no such request waiting, or it was already answered.',
  run: async (input, ctx) => (await import('../approve.js')).runApprove(typed(input), ctx),
};

const USAGE: CommandDef = {
  name: 'usage',
  summary:
    "Your key's runs, tokens and cost by UTC day, and its daily and monthly budgets (--all-keys: every key, on the service's machine).",
  usage: '[--days N | --from DAY] [--to DAY] [--json] [--all-keys]',
  description:
    "Shows what your API key's runs used and cost for each UTC day (GET /usage): runs by outcome, input, output and cache tokens, " +
    'cost in US dollars, and where the key stands against its budgets today and this month (spent, held by runs in progress, left, ' +
    'when it resets). Days are UTC calendar days; a run counts on the day it was admitted.',
  positionals: true,
  options: [
    { flags: '--days <N>', help: 'Days up to --to, today included (1 to 366).', default: '30' },
    { flags: '--from <DAY>', help: 'First UTC day, YYYY-MM-DD (instead of --days).' },
    { flags: '--to <DAY>', help: 'Last UTC day, YYYY-MM-DD.', default: 'today' },
    { flags: '--json', help: "Print the service's answer (with --all-keys: every key's totals and budgets)." },
    {
      flags: '--all-keys',
      help: 'Every key of the data directory (--data-dir), read from its database on this machine, as cca keys does: no API key needed.',
    },
    ...CONNECTION,
  ],
  after:
    'Exit status: 0 shown, 1 the request failed, 2 bad usage or no API key.\n\n' +
    'Examples:\n' +
    '  cca usage\n' +
    '  cca usage --days 7 --json\n' +
    '  cca usage --all-keys --from 2025-01-01 --to 2025-01-31',
  run: async (input, ctx) => (await import('../usage.js')).runUsage(typed(input), ctx),
};

/** The client commands of the table, in the order `cca --help` lists them. */
export const CLIENT_COMMANDS: CommandDef[] = [INVOKE, API, SESSIONS, SESSION, CANCEL, APPROVE, USAGE];
