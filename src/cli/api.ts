/**
 * `cca api "task"`: the original sample's `test_api.sh`, done safely. POSTs the task to the
 * gateway's `/invoke` with an API key and prints the result, the cost and the stored files.
 */
import { describeHttpError, describeNetworkError, printResult } from './api-report.js';
import { filesListUrl, resolveConnection, type ConnectionFlags } from './connection.js';
import type { CommandContext, CommandInput } from './context.js';
import { isOk, postJson, type HttpReply } from './http-request.js';
import { EXIT, UsageError } from './io.js';
import { plural } from './table.js';

type ApiFlags = ConnectionFlags & RequestFlags & { json?: boolean };

/** `cca invoke`'s flags (here beside api's, which invoke-runtime shares); with `--runtime` or `--runtime-arn` they go to the AgentCore Runtime instead. */
export type InvokeFlags = ConnectionFlags &
  RequestFlags & { json?: boolean; runtime?: boolean; 'runtime-arn'?: string; region?: string; file?: string[]; dir?: string };

/**
 * Runs `cca api` and returns its exit status: 0 success, 1 request failed, 2 usage, 3 the run ended
 * with `success: false`.
 */
export async function runApi({ values, positionals }: CommandInput<ApiFlags>, ctx: CommandContext): Promise<number> {
  const { env, io } = ctx;
  const now = ctx.now ?? (() => new Date());
  const conn = resolveConnection(values, env, ctx.cwd);
  const prepared: PreparedRequest = {
    url: conn.invokeUrl,
    apiKey: conn.apiKey,
    body: buildRequestBody(promptOf(positionals, 'api'), values, ctx.env),
    json: values.json === true,
  };

  let reply: HttpReply;
  try {
    reply = await postJson(prepared.url, prepared.body, { 'x-api-key': prepared.apiKey });
  } catch (err) {
    io.stderr(`cca: ${describeNetworkError(err, prepared.url.href)}\n`);
    return EXIT.failure;
  }
  if (!isOk(reply)) {
    io.stderr(`cca: ${describeHttpError(reply, prepared.url.href, now())}\n`);
    return EXIT.failure;
  }

  return printResult(io, reply.text, {
    json: prepared.json,
    source: `${prepared.url.href} answered ${reply.status}`,
    command: 'api',
    filesUrl: filesListUrl(conn),
  });
}

interface PreparedRequest {
  url: URL;
  apiKey: string;
  body: string;
  json: boolean;
}

/** The flags that become fields of the request body. */
export interface RequestFlags {
  'permission-mode'?: string;
  'allowed-tools'?: string;
  'allowed-domains'?: string;
  'mcp-servers'?: string;
  session?: string;
  'max-turns'?: string;
  'max-budget'?: string;
  timeout?: string;
  async?: boolean;
  repo?: string;
  ref?: string;
  depth?: string;
  'git-token'?: string;
  push?: string;
  'commit-message'?: string;
  pr?: boolean;
  'pr-title'?: string;
}

/** The request body, built with JSON.stringify: any prompt (quotes, `$(...)`, newlines) arrives as typed. */
export function buildRequestBody(prompt: string, flags: RequestFlags, env: NodeJS.ProcessEnv = {}): string {
  if ((flags.ref !== undefined || flags.depth !== undefined) && flags.repo === undefined) {
    throw new UsageError('--ref and --depth go with --repo URL: the repository a new session starts from.');
  }
  if ((flags.pr || flags['pr-title'] !== undefined) && flags.push === undefined) {
    throw new UsageError('--pr opens a pull request from the pushed branch: give the branch with --push BRANCH.');
  }
  if (flags['commit-message'] !== undefined && flags.push === undefined) throw new UsageError('--commit-message goes with --push BRANCH.');
  // The environment rather than argv, where any user of the machine could read it in `ps`.
  const gitToken = flags['git-token'] ?? env.CCA_GIT_TOKEN;
  return JSON.stringify({
    prompt,
    permission_mode: flags['permission-mode'],
    allowed_tools: flags['allowed-tools'],
    allowed_domains: flags['allowed-domains'],
    mcp_servers: flags['mcp-servers'] === undefined ? undefined : mcpServers(flags['mcp-servers']),
    session_id: flags.session,
    max_turns: flags['max-turns'] === undefined ? undefined : positiveInteger('--max-turns', flags['max-turns']),
    max_budget_usd: flags['max-budget'] === undefined ? undefined : budget(flags['max-budget']),
    timeout_s: flags.timeout === undefined ? undefined : seconds('--timeout', flags.timeout),
    async: flags.async === true ? true : undefined,
    repository:
      flags.repo === undefined
        ? undefined
        : {
            url: flags.repo,
            ref: flags.ref,
            depth: flags.depth === undefined ? undefined : wholeNumber('--depth', flags.depth),
          },
    git_token: gitToken === undefined || gitToken === '' || (flags.repo === undefined && flags.push === undefined) ? undefined : gitToken,
    push: flags.push === undefined ? undefined : { branch: flags.push, commit_message: flags['commit-message'] },
    pull_request: flags.pr || flags['pr-title'] !== undefined ? { title: flags['pr-title'] } : undefined,
  });
}

/** `--mcp-servers docs,gateway` as the array the service takes; "none" (or nothing) is []. */
function mcpServers(raw: string): string[] {
  const names = raw
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  return names.length === 1 && names[0] === 'none' ? [] : names;
}

function wholeNumber(flag: string, raw: string): number {
  const value = toNumber(raw);
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`${flag} must be a whole number (0: all history); got "${raw}".`);
  return value;
}

/** The one positional argument of `cca <command> "TASK"`. */
export function promptOf(positionals: string[], command: string): string {
  if (positionals.length === 0) throw new UsageError(`say what the agent should do: cca ${command} "Create a hello world Python script".`);
  if (positionals.length > 1) {
    throw new UsageError(
      `pass the task as one quoted argument: cca ${command} "${positionals.join(' ')}" (got ${plural(positionals.length, 'argument')}).`,
    );
  }
  const prompt = positionals[0] as string;
  if (prompt.trim() === '') throw new UsageError('the task is empty: say what the agent should do.');
  return prompt;
}

/** A flag that must be a whole number, at least 1. */
export function positiveInteger(flag: string, raw: string): number {
  const value = toNumber(raw);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${flag} must be a positive integer; got "${raw}".`);
  return value;
}

function seconds(flag: string, raw: string): number {
  const value = toNumber(raw);
  if (!Number.isFinite(value) || value < 1) throw new UsageError(`${flag} must be a number of seconds, at least 1; got "${raw}".`);
  return value;
}

function budget(raw: string): number {
  const value = toNumber(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`--max-budget must be an amount of US dollars above 0, e.g. 0.50; got "${raw}".`);
  return value;
}

function toNumber(raw: string): number {
  return raw.trim() === '' ? Number.NaN : Number(raw);
}
