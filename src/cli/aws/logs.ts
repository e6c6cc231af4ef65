/**
 * `cca logs`: `aws logs tail` for this project. Deployed: CloudWatch Logs of the runtime or of the
 * API's Lambda (FilterLogEvents, polled with --follow). Locally: `<data dir>/logs/cca.log`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { FilterLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { loadConfig } from '../../config/index.js';
import { AGENTCORE_QUALIFIER, API_OUTPUTS } from '../../infra/defaults.js';
import type { CommandContext, CommandInput } from '../context.js';
import { EXIT, UsageError, type CliIo } from '../io.js';
import { describeAwsError } from './aws-errors.js';
import { awsClients, withDefaults } from './clients.js';
import { readDeployment, resolveRegion, type DeploymentInfo } from './deployment.js';
import { tailFile } from './log-file.js';
import { formatLogLine, lineTime, parseSince } from './log-lines.js';
import { describeStack } from './stacks.js';

/** The flags commander parsed for it (declared in commands/). */
type Flags = { follow?: boolean; source?: string; since?: string; json?: boolean; 'data-dir'?: string; region?: string };

/**
 * Runs `cca logs`: 0 printed (or followed until Ctrl-C), 1 the logs could not be read, 2 usage.
 */
export async function runLogs({ values }: CommandInput<Flags>, ctx: CommandContext): Promise<number> {
  const { env, io } = ctx;
  const { cwd, now, sleep } = withDefaults(ctx);
  const source = values.source ?? 'runtime';
  if (source !== 'runtime' && source !== 'api') throw new UsageError(`--source must be runtime or api; got "${source}".`);
  const since = parseSince(values.since ?? '10m');
  if (since === undefined) throw new UsageError(`--since must be a duration such as 30s, 10m, 2h or 1d; got "${values.since}".`);
  const deployment: DeploymentInfo | undefined = readDeployment(cwd);
  const opts: { follow: boolean; source: 'runtime' | 'api'; sinceMs: number; json: boolean; dataDir?: string; region?: string } = {
    follow: values.follow === true,
    source,
    sinceMs: now().getTime() - since,
    json: values.json === true,
  };
  if (deployment === undefined) {
    opts.dataDir = loadConfig({ 'data-dir': values['data-dir'] }, env, undefined, cwd).dataDir;
  } else {
    opts.region = resolveRegion(values.region, deployment, env);
  }

  const { signal, dispose } = stopSignal(ctx.signal);
  const print = (line: string) => io.stdout(`${opts.json ? line : formatLogLine(line)}\n`);
  try {
    if (opts.dataDir !== undefined) {
      const file = path.join(opts.dataDir, 'logs', 'cca.log');
      if (!fs.existsSync(file) && !opts.follow) {
        io.stderr(`cca: no service log at ${file} yet: cca serve writes it while it runs (--follow waits for it).\n`);
        return EXIT.failure;
      }
      io.stderr(`Local service log ${file}${opts.follow ? ' (following; Ctrl-C stops)' : ''}\n`);
      await tailFile(file, { sinceMs: opts.sinceMs, follow: opts.follow, onLine: print, sleep, signal, lineTime });
      return EXIT.ok;
    }
    const d = deployment as DeploymentInfo;
    const clients = awsClients(opts.region as string, env, ctx.clients);
    let group: string;
    try {
      group = await logGroupOf(d, opts.source, clients.cloudFormation);
    } catch (err) {
      io.stderr(`cca: ${err instanceof UsageError ? err.message : describeAwsError(err, 'CloudFormation DescribeStacks')}\n`);
      return EXIT.failure;
    }
    io.stderr(`CloudWatch Logs ${group}${opts.follow ? ' (following; Ctrl-C stops)' : ''}\n`);
    return await followGroup(clients.logs, group, { ...opts, signal, sleep, io });
  } finally {
    dispose();
  }
}

/** The log group of the runtime (`<id>-DEFAULT`) or of the API's Lambda (from the API stack's outputs). */
async function logGroupOf(d: DeploymentInfo, source: 'runtime' | 'api', cloudFormation: CloudFormationClient): Promise<string> {
  if (source === 'runtime') return `/aws/bedrock-agentcore/runtimes/${d.runtime_id}-${AGENTCORE_QUALIFIER}`;
  if (d.api_stack === undefined)
    throw new UsageError('deployment.json has no API: deploy it with "cca deploy-api", or read --source runtime.');
  const fn = (await describeStack(cloudFormation, d.api_stack))?.outputs[API_OUTPUTS.functionName];
  if (fn === undefined)
    throw new UsageError(`the stack ${d.api_stack} has no output ${API_OUTPUTS.functionName}: is it deployed (cca info)?`);
  return `/aws/lambda/${fn}`;
}

/** FilterLogEvents from `sinceMs`, every page; with `follow`, again every 2 s from the newest event seen. */
async function followGroup(
  client: CloudWatchLogsClient,
  group: string,
  opts: { sinceMs: number; follow: boolean; json: boolean; signal: AbortSignal; sleep: (ms: number) => Promise<void>; io: CliIo },
): Promise<number> {
  let start = opts.sinceMs;
  // Events at the newest timestamp come again in the next poll (startTime is inclusive).
  let seenAtStart = new Set<string>();
  do {
    let token: string | undefined;
    let newest = start;
    const seenNow = new Set<string>();
    try {
      do {
        const page = await client.send(new FilterLogEventsCommand({ logGroupName: group, startTime: start, nextToken: token }), {
          abortSignal: opts.signal,
        });
        for (const e of page.events ?? []) {
          const id = e.eventId ?? `${e.timestamp}:${e.logStreamName}:${e.message}`;
          if (seenAtStart.has(id)) continue;
          const at = e.timestamp ?? start;
          if (at > newest) seenNow.clear();
          if (at >= newest) seenNow.add(id);
          newest = Math.max(newest, at);
          const message = (e.message ?? '').replace(/\n$/, '');
          opts.io.stdout(
            opts.json ? `${JSON.stringify(e)}\n` : `${new Date(at).toISOString()} ${e.logStreamName ?? ''} ${formatLogLine(message)}\n`,
          );
        }
        token = page.nextToken;
      } while (token !== undefined && !opts.signal.aborted);
    } catch (err) {
      if (opts.signal.aborted) break;
      if (err instanceof Error && err.name === 'ResourceNotFoundException') {
        opts.io.stderr(`cca: no log group ${group} yet: it appears with the first invocation (cca invoke ... --runtime).\n`);
      } else {
        opts.io.stderr(`cca: ${describeAwsError(err, `CloudWatch Logs FilterLogEvents ${group}`)}\n`);
      }
      return EXIT.failure;
    }
    if (newest > start) seenAtStart = seenNow;
    else for (const id of seenNow) seenAtStart.add(id);
    start = newest;
    if (!opts.follow || opts.signal.aborted) break;
    await opts.sleep(2_000);
  } while (!opts.signal.aborted);
  return EXIT.ok;
}

/** The caller's signal, or one that Ctrl-C aborts (and that stops listening when done). */
function stopSignal(given: AbortSignal | undefined): { signal: AbortSignal; dispose: () => void } {
  if (given !== undefined) return { signal: given, dispose: () => undefined };
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', stop) };
}
