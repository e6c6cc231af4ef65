/** `cca serve` and `cca runtime`: the service itself, local or as a container entrypoint. */
import { typed, type CommandDef, type OptionDef } from './define.js';

const SERVE_OPTIONS: OptionDef[] = [
  { flags: '--port <N>', env: 'CCA_PORT', help: 'Port to listen on (0: any free port).', default: '8080' },
  { flags: '--host <HOST>', env: 'CCA_HOST', help: 'Address to bind.', default: '127.0.0.1; runtime: 0.0.0.0' },
  { flags: '--data-dir <DIR>', env: 'CCA_DATA_DIR', help: 'Sessions, database, stored files.', default: './.cca' },
  {
    flags: '--storage <KIND>',
    env: 'CCA_STORAGE',
    help: '"local" (files under the data dir) or s3://BUCKET[/PREFIX] (AWS_ENDPOINT_URL_S3 for S3-compatible servers).',
    default: 'local',
  },
  {
    flags: '--session-state <MODE>',
    env: 'CCA_SESSION_STATE',
    help:
      'Save each session (conversation and workspace) to the storage at the end of every invocation, so any worker ' +
      'sharing it can continue the session: "on", "off", or "auto" (on with s3:// storage). CCA_SESSION_LEASE_S (60) ' +
      'and CCA_SESSION_CHECKPOINT_S (300, 0 for none) tune it.',
    default: 'auto',
  },
  { flags: '--public-url <URL>', env: 'CCA_PUBLIC_URL', help: 'Origin used in download links.', default: "the request's origin" },
  { flags: '--model <ID>', env: 'CCA_MODEL', help: 'Model for every run unless a request names one.' },
  { flags: '--log-level <LEVEL>', env: 'CCA_LOG_LEVEL', help: 'trace, debug, info, warn, error, silent.', default: 'info' },
  {
    flags: '--no-sandbox',
    env: 'CCA_SANDBOX',
    help:
      '"off": runs without a sandbox. "bwrap": each run in bubblewrap (read-only host, own PID namespace, data dir and ' +
      'home hidden); runs are refused while bwrap is missing or does not work.',
    default: 'bwrap',
  },
  {
    flags: '--allowed-domains <LIST>',
    env: 'CCA_ALLOWED_DOMAINS',
    help:
      'Hosts runs may connect to besides the model, e.g. "github.com,*.npmjs.org" ("none": the model only), through their ' +
      'egress proxy; requests may narrow it with allowed_domains. Needs the sandbox.',
    default: 'every public host',
  },
  {
    flags: '--private-hosts <LIST>',
    env: 'CCA_PRIVATE_HOSTS',
    help:
      'Loopback, private or metadata hosts runs (and webhooks) may still reach, which the egress proxy otherwise refuses after resolving: ' +
      'names, IP addresses or ranges, e.g. "registry.internal,10.1.0.0/16". Webhooks may use plain http only to these.',
    default: 'none',
  },
  {
    flags: '--warm-pool <N>',
    env: 'CCA_WARM_POOL',
    help:
      'Claude Code processes started ahead of new sessions, each in its own sandbox, so a new session skips the start-up: "auto" ' +
      '(sized from the machine and recent demand), "off", or the most to keep. Each serves one invocation. CCA_WARM_MAX_AGE_S (900) replaces old ones.',
    default: 'auto; runtime: off',
  },
  {
    flags: '--warm-idle <S>',
    env: 'CCA_WARM_IDLE_S',
    help: 'Seconds without a new session of a kind before its warm agents are let go (the default kind keeps one).',
    default: '300',
  },
  {
    flags: '--metrics-token <TOKEN>',
    env: 'CCA_METRICS_TOKEN',
    help:
      "Serve Prometheus /metrics on the service's port, to `Authorization: Bearer <TOKEN>` only (16+ characters; API keys " +
      'never open it); the metrics port asks for it too. Prefer the variable: a flag shows in `ps`.',
    default: 'off',
  },
  {
    flags: '--metrics-port <N>',
    env: 'CCA_METRICS_PORT',
    help: 'Serve /metrics on a port of its own, outside the API (0: any free port).',
    default: 'off',
  },
  {
    flags: '--metrics-host <HOST>',
    env: 'CCA_METRICS_HOST',
    help: "Address of the metrics port; keep it private: without a token anyone who reaches it reads every tenant's figures.",
    default: '127.0.0.1',
  },
  {
    flags: '--mcp-config <FILE|JSON>',
    env: 'CCA_MCP_CONFIG',
    help:
      'MCP servers runs may use, in the .mcp.json shape ({"mcpServers": {"docs": {"type": "http", "url": "...", "headers": {...}}}}) ' +
      'plus "auth" (aws_iam, oauth_client_credentials) and "default"; a file, or inline JSON. ${VAR} comes from this environment. ' +
      'The service holds the credentials: runs see only the tools. CCA_MCP_TIMEOUT_S (300) bounds one tool call.',
    default: 'none',
  },
  {
    flags: '--mcp-allow-stdio',
    env: 'CCA_MCP_ALLOW_STDIO',
    help: '"1": --mcp-config may declare stdio servers, whose commands run as the service\'s user outside the run sandbox.',
    default: 'off',
  },
  {
    flags: '--mcp-allow-request-servers',
    env: 'CCA_MCP_ALLOW_REQUEST_SERVERS',
    help: '"1": requests may bring MCP servers of their own in mcp_servers ({"name", "url", "headers"}), reached under the egress rules.',
    default: 'off',
  },
];

/** `serve` and `runtime` differ only in their defaults. */
function serveDef(mode: 'serve' | 'runtime', summary: string): CommandDef {
  return {
    name: mode,
    summary,
    description:
      `${summary} Runs until SIGINT/SIGTERM (a second signal cancels the runs at once). Flags beat environment variables, which beat defaults. ` +
      'Traces: set OTEL_EXPORTER_OTLP_ENDPOINT (OTLP/HTTP, e.g. http://127.0.0.1:4318) to export a trace per invocation; OTEL_SERVICE_NAME, ' +
      'OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES and OTEL_TRACES_SAMPLER are honoured.',
    options: SERVE_OPTIONS,
    run: async (input, ctx) => (await import('../serve.js')).serveCommand(typed(input), mode, ctx),
  };
}

/** The service commands of the table. */
export const SERVICE_COMMANDS: CommandDef[] = [
  serveDef('serve', 'Run the service locally (default 127.0.0.1:8080). `npm start` runs this.'),
  serveDef('runtime', 'Run the service as a container entrypoint (0.0.0.0:8080, the AgentCore contract).'),
];
