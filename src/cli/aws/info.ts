/**
 * `cca info`: the original's show_agent_info.sh. Deployed: deployment.json, the stacks' outputs,
 * the runtime's status, the API endpoint and the gateway's MCP URL. Locally: where the service keeps its data and
 * whether it answers.
 */
import { GATEWAY_OUTPUTS } from '../../infra/defaults.js';
import type { CommandContext, CommandInput } from '../context.js';
import { EXIT } from '../io.js';
import { invokeUrlOf } from './api-stack.js';
import { describeAwsError } from './aws-errors.js';
import { awsClients, withDefaults } from './clients.js';
import { readDeployment, resolveRegion, type DeploymentInfo } from './deployment.js';
import { localInfo } from './info-local.js';
import { getRuntimeStatus, type RuntimeStatus } from './runtime-status.js';
import { describeStack, type StackSummary } from './stacks.js';

/** A value read from AWS, or why it could not be. */
type Fetched<T> = { ok: true; value: T } | { ok: false; error: string };

/** The flags commander parsed for it (declared in commands/). */
type Flags = { json?: boolean; region?: string; 'data-dir'?: string; endpoint?: string };

/**
 * Runs `cca info`: 0 shown, 1 an AWS read failed (the rest is still shown), 2 usage.
 */
export async function runInfo({ values }: CommandInput<Flags>, ctx: CommandContext): Promise<number> {
  const { env, io } = ctx;
  const { cwd } = withDefaults(ctx);
  const deployment: DeploymentInfo | undefined = readDeployment(cwd);
  if (deployment === undefined) return await localInfo(values, env, io, cwd);

  const region = resolveRegion(values.region, deployment, env);
  const clients = awsClients(region, env, ctx.clients);
  const fetch = async <T>(what: string, read: () => Promise<T>): Promise<Fetched<T>> => {
    try {
      return { ok: true, value: await read() };
    } catch (err) {
      return { ok: false, error: describeAwsError(err, what) };
    }
  };
  const d = deployment;
  const agent = await fetch('CloudFormation DescribeStacks', () => describeStack(clients.cloudFormation, d.stack));
  const api = d.api_stack
    ? await fetch('CloudFormation DescribeStacks', () => describeStack(clients.cloudFormation, d.api_stack as string))
    : undefined;
  const runtime = await fetch('AgentCore GetAgentRuntime', () => getRuntimeStatus(clients.agentCoreControl, d.runtime_id));
  const failed = [agent, api, runtime].some((f) => f !== undefined && !f.ok);

  if (values.json) {
    const unwrap = <T>(f: Fetched<T> | undefined) => (f === undefined ? undefined : f.ok ? (f.value ?? null) : { error: f.error });
    const report = {
      mode: 'aws',
      deployment: d,
      stacks: { [d.stack]: unwrap(agent), ...(d.api_stack ? { [d.api_stack]: unwrap(api) } : {}) },
      runtime: unwrap(runtime),
      api_invoke_url: d.api_endpoint ? invokeUrlOf(d.api_endpoint) : null,
      gateway_url: gatewayUrlOf(d, agent),
    };
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    io.stdout(renderDeployed(d, agent, api, runtime));
  }
  for (const f of [agent, api, runtime]) if (f !== undefined && !f.ok) io.stderr(`cca: ${f.error}\n`);
  return failed ? EXIT.failure : EXIT.ok;
}

/** The gateway's MCP URL: the agent stack's output (what is deployed), else deployment.json's; null without a gateway. */
function gatewayUrlOf(d: DeploymentInfo, agent: Fetched<StackSummary | undefined>): string | null {
  const output = agent.ok ? agent.value?.outputs[GATEWAY_OUTPUTS.gatewayUrl] : undefined;
  return output ?? d.gateway_url ?? null;
}

function renderDeployed(
  d: DeploymentInfo,
  agent: Fetched<StackSummary | undefined>,
  api: Fetched<StackSummary | undefined> | undefined,
  runtime: Fetched<RuntimeStatus>,
): string {
  const stackState = (f: Fetched<StackSummary | undefined> | undefined) =>
    f === undefined ? '' : !f.ok ? ' (status unknown)' : f.value ? ` (${f.value.status})` : ' (NOT FOUND)';
  const runtimeState = !runtime.ok
    ? 'status unknown'
    : `${runtime.value.status}${runtime.value.version ? `, version ${runtime.value.version}` : ''}${runtime.value.failureReason ? `: ${runtime.value.failureReason}` : ''}`;
  const rows: [string, string][] = [
    ['region', d.region],
    ['stack', `${d.stack}${stackState(agent)}`],
    ['runtime', d.runtime_arn],
    ['status', runtimeState],
    ['model', d.model_id],
    ['image', `${d.repository_uri}:${d.image_tag}`],
    ['bucket', `s3://${d.bucket}/outputs/`],
    ['deployed', d.deployed_at],
  ];
  if (d.api_stack) rows.push(['api stack', `${d.api_stack}${stackState(api)}`]);
  if (d.api_endpoint) rows.push(['api', `${invokeUrlOf(d.api_endpoint)}   (key: cca api-key)`]);
  const gatewayUrl = gatewayUrlOf(d, agent);
  if (gatewayUrl !== null) rows.push(['gateway', `${gatewayUrl}   (the runtime's MCP server "gateway")`]);
  const lines = ['Deployment (deployment.json):', ...rows.map(([k, v]) => `  ${`${k}:`.padEnd(11)}${v}`)];
  for (const [f, name] of [
    [agent, d.stack],
    [api, d.api_stack],
  ] as const) {
    if (f?.ok && f.value) {
      lines.push(`Outputs of ${name}:`);
      const width = Math.max(...Object.keys(f.value.outputs).map((k) => k.length));
      for (const [k, v] of Object.entries(f.value.outputs)) lines.push(`  ${k.padEnd(width)}  ${v}`);
    }
  }
  lines.push('Try: cca invoke "Create a hello world Python script" --runtime');
  return `${lines.join('\n')}\n`;
}
