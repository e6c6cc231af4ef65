/**
 * `cca serve` and `cca runtime`: start the runtime, say where it is, stop gracefully on a signal.
 */
import path from 'node:path';
import { isBrokered } from '../broker/index.js';
import { loadConfig, NO_PROVIDER_MESSAGE, nodeVersionWarning, runModel, type Config, type ConfigFlags } from '../config/index.js';
import { createLogger } from '../logging/index.js';
import { describeLimits, limitsSummary } from '../limits/index.js';
import { SANDBOX_UNAVAILABLE_HINT, type SandboxStatus } from '../sandbox/index.js';
import { startRuntime } from '../server/index.js';
import type { CommandContext, CommandInput } from './context.js';
import { ensureFirstKey } from './first-key.js';
import { EXIT } from './io.js';

/**
 * Starts the service and returns 0 once it listens; it runs until SIGINT/SIGTERM. `mode` picks the
 * defaults: local or container.
 * @example await serveCommand({ values: { port: '0' }, positionals: [] }, 'serve', { env: process.env, io: processIo });
 */
export async function serveCommand({ values }: CommandInput<ConfigFlags>, mode: 'serve' | 'runtime', ctx: CommandContext): Promise<number> {
  const defaults = mode === 'runtime' ? { host: '0.0.0.0', port: 8080, mode } : { host: '127.0.0.1', port: 8080, mode };
  const config = loadConfig(values, ctx.env, defaults);
  // One line of our own; bin/cca silences the AWS SDK's warning, which every client would repeat.
  const nodeNote = nodeVersionWarning(process.version);
  if (nodeNote !== undefined) ctx.io.stderr(`${nodeNote}\n`);
  // Also to a file in the data dir, which `cca logs` reads.
  const logger = createLogger(config.logLevel, { file: path.join(config.dataDir, 'logs', 'cca.log') });
  const runtime = await startRuntime(config, logger, ctx.env);
  const { sandbox } = runtime;

  const firstKey = mode === 'serve' ? ensureFirstKey(runtime.keys, config.dataDir) : undefined;
  const provider =
    config.provider.kind === 'none' ? `none (${NO_PROVIDER_MESSAGE})` : `${config.provider.kind} at ${config.provider.endpoint}`;
  ctx.io.stdout(
    `claude-code-agent listening on ${runtime.url}\n` +
      `  data dir: ${config.dataDir}\n  storage:  ${config.storage.kind}\n` +
      `  sessions: ${config.sessionState.enabled ? `saved to the storage after each invocation (any worker sharing it continues them)` : 'kept in the data dir'}\n` +
      `  model:    ${runModel(undefined, config) ?? "Claude Code's default"}\n` +
      `  provider: ${provider}\n` +
      sandboxLines(sandbox) +
      (runtime.limits !== undefined ? describeLimits(runtime.limits, config.runResources) : '') +
      networkLines(config, sandbox) +
      warmLine(config, runtime.warm !== undefined) +
      mcpLines(config.mcp) +
      telemetryLines(config, runtime.url, runtime.metricsUrl) +
      (firstKey ? `Created the first API key (id ${firstKey.id}); it is saved in ${firstKey.file} (mode 0600):\n  ${firstKey.key}\n` : '') +
      (mode === 'serve'
        ? `Try: curl -s ${runtime.url}/invoke -H "x-api-key: $(cat ${config.dataDir}/.api_key)" -d '{"prompt": "Create a hello world Python script"}'\n` +
          `API reference: ${runtime.url}/docs\n`
        : `Try: curl -s ${runtime.url}/invocations -d '{"prompt": "Create a hello world Python script"}'\n`),
  );
  logger.info({ url: runtime.url, provider: config.provider.kind, sandbox: sandbox.kind }, 'listening');
  if (Object.keys(config.mcp.servers).length > 0 || config.mcp.allowRequestServers) {
    logger.info(
      { servers: Object.keys(config.mcp.servers), request_servers: config.mcp.allowRequestServers, source: config.mcp.source },
      'mcp servers',
    );
  }
  if (sandbox.kind === 'unavailable') logger.error({ reason: sandbox.reason }, 'run sandbox unavailable: runs are refused');
  if (runtime.limits !== undefined) {
    const { cgroupNote, userNote } = runtime.limits;
    logger.info(
      { ...limitsSummary(runtime.limits), resources: config.runResources, cgroups: cgroupNote, user: userNote },
      'per-run limits',
    );
    if (runtime.limits.cgroups === undefined)
      logger.warn({ reason: cgroupNote }, 'no usable cgroups: per-run memory, process and CPU limits are not enforced');
  }

  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    // Runs get CCA_SHUTDOWN_GRACE_S to finish; a second signal means "now": cancel at once.
    const grace = ++signals > 1 ? 0 : config.shutdownGraceMs;
    logger.info({ signal, grace_ms: grace }, 'shutting down');
    runtime.close(grace).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
    if (grace === 0) runtime.service.cancelAll();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return EXIT.ok;
}

/**
 * The start-up lines about MCP: each server with its transport, where it is (origin and path: a
 * query may hold a key) and how the service authenticates (header names, never their values).
 */
export function mcpLines(mcp: Config['mcp']): string {
  const names = Object.keys(mcp.servers);
  if (names.length === 0 && !mcp.allowRequestServers) return '';
  const lines = names.map((name) => {
    const s = mcp.servers[name]!;
    const flags = s.default ? ' [default]' : '';
    if (s.type === 'stdio') return `    ${name}: stdio, ${s.command} (runs as this service's user)${flags}\n`;
    const url = new URL(s.url);
    const auth = [
      ...(Object.keys(s.headers).length > 0 ? [`headers ${Object.keys(s.headers).join(', ')}`] : []),
      ...(s.auth?.type === 'aws_iam' ? [`SigV4 for ${s.auth.service} in ${s.auth.region}`] : []),
      ...(s.auth?.type === 'oauth_client_credentials' ? [`OAuth client ${s.auth.clientId} at ${new URL(s.auth.tokenUrl).origin}`] : []),
    ];
    return `    ${name}: ${s.type}, ${url.origin}${url.pathname}${auth.length > 0 ? ` (${auth.join('; ')})` : ''}${flags}\n`;
  });
  const requests = mcp.allowRequestServers
    ? '    requests may bring their own http servers (--mcp-allow-request-servers), reached under the egress rules\n'
    : '';
  return (
    `  mcp:      ${names.length} server${names.length === 1 ? '' : 's'}${mcp.source !== undefined ? ` from ${mcp.source}` : ''}; ` +
    `the service holds ${names.length === 1 ? 'its' : 'their'} credentials, runs see only the tools (request: mcp_servers)\n` +
    lines.join('') +
    requests
  );
}

/** The start-up lines about the run sandbox: loud when runs are refused or not isolated. */
function sandboxLines(sandbox: SandboxStatus): string {
  if (sandbox.kind === 'bwrap') {
    return `  sandbox:  bubblewrap (${sandbox.path}): read-only host, only the session's directories writable\n`;
  }
  if (sandbox.kind === 'off') {
    return (
      '  sandbox:  OFF (--no-sandbox / CCA_SANDBOX=off)\n' +
      "WARNING: runs are not sandboxed: the agent's commands can read everything this user can, including the data dir's keys and database and this process's environment.\n"
    );
  }
  return `  sandbox:  UNAVAILABLE: ${sandbox.reason}\nERROR: ${SANDBOX_UNAVAILABLE_HINT}\n`;
}

/**
 * The start-up lines about the runs' network and model credential: loud when runs share the host's
 * network, hold the provider's credential, or are refused.
 */
function networkLines(config: Config, sandbox: SandboxStatus): string {
  const { egress, privateHosts } = config;
  const canIsolate = sandbox.kind === 'bwrap' && sandbox.network;
  const exceptions = privateHosts.entries.length > 0 ? ` except ${privateHosts.entries.join(', ')} (--private-hosts)` : '';
  let lines: string;
  if (egress.kind === 'allowlist') {
    const hosts = egress.domains.length > 0 ? egress.domains.join(', ') : 'nothing else';
    lines = `  egress:   the model endpoint and ${hosts} (--allowed-domains); everything else is refused
`;
    if (sandbox.kind === 'bwrap' && !sandbox.network) {
      lines += `ERROR: bubblewrap cannot give runs a network namespace of their own here, so runs are refused; run the service where it can, or drop --allowed-domains.
`;
    }
  } else if (canIsolate && config.runNetwork === 'isolated') {
    lines =
      `  network:  each run its own; out only through its proxy, to public hosts (loopback, private and metadata addresses refused${exceptions}); ` +
      'a request may narrow it with allowed_domains\n';
  } else {
    const why =
      config.runNetwork === 'host'
        ? 'CCA_RUN_NETWORK=host'
        : sandbox.kind === 'bwrap'
          ? 'bubblewrap cannot create network namespaces here'
          : 'no sandbox';
    lines = `  network:  the host's (${why})\nWARNING: runs can reach this service's port, other runs' servers, loopback and private addresses, and the cloud metadata service.\n`;
  }
  const credential = isBrokered(config.provider)
    ? '  model credential: kept by the service; each run gets a token that ends with it\n'
    : config.provider.kind === 'vertex'
      ? 'WARNING: Vertex AI credentials are passed to runs as they are (the broker serves the Anthropic API and Bedrock only).\n'
      : '';
  return lines + credential;
}

/** The start-up lines about /metrics and traces: where they are, and loud when the metrics port is open to the network without a token. */
function telemetryLines(config: Config, url: string, metricsUrl: string | undefined): string {
  const { metrics, tracing } = config;
  const where = [
    ...(metrics.token !== undefined ? [`${url}/metrics (with the metrics token)`] : []),
    ...(metricsUrl !== undefined ? [`${metricsUrl}${metrics.token !== undefined ? ' (with the metrics token)' : ''}`] : []),
  ];
  let lines = `  metrics:  ${where.length > 0 ? where.join(' and ') : 'off (--metrics-token or --metrics-port turns /metrics on)'}\n`;
  const loopback = ['127.0.0.1', '::1', 'localhost'].includes(metrics.host);
  if (metricsUrl !== undefined && metrics.token === undefined && !loopback) {
    lines += `WARNING: /metrics on ${metrics.host} needs no token: anyone who reaches that address reads every key's runs, tokens and costs.\n`;
  }
  lines += `  traces:   ${tracing === undefined ? 'off (OTEL_EXPORTER_OTLP_ENDPOINT turns them on)' : `to ${tracing.shownUrl} as ${tracing.serviceName}`}\n`;
  return lines;
}

/** What the warm pool keeps, or why it is off. */
function warmLine(config: Config, running: boolean): string {
  const { warm } = config;
  if (warm.max === 0) return '  warm:     off (each run starts Claude Code; --warm-pool N to keep some started)\n';
  if (!running) return '  warm:     off (runs cannot start here yet)\n';
  const sized = warm.auto ? ' (auto, from the machine)' : '';
  return `  warm:     up to ${warm.max} Claude Code process${warm.max === 1 ? '' : 'es'} started ahead of new sessions${sized}, as demand calls for them; idle after ${Math.round(warm.idleMs / 1000)} s\n`;
}
