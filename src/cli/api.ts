/**
 * `cca api "task"`: the original sample's `test_api.sh`, done safely. POSTs the task to the
 * gateway's `/invoke` with an API key and prints the result, the cost and the stored files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/index.js';
import { describeHttpError, describeNetworkError, parseOutput, renderErrors, renderOutput } from './api-report.js';
import { API_USAGE } from './help.js';
import { postJson, type HttpReply } from './http-post.js';
import { EXIT, isParseArgsError, UsageError, type CliIo } from './io.js';

const API_OPTIONS = {
  endpoint: { type: 'string' },
  'api-key': { type: 'string' },
  'data-dir': { type: 'string' },
  'permission-mode': { type: 'string' },
  'allowed-tools': { type: 'string' },
  session: { type: 'string' },
  'max-turns': { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Where the command runs: the working directory (for a relative data dir) and the clock. */
export interface ApiCommandContext {
  cwd?: string;
  now?: () => Date;
}

/**
 * Runs `cca api` and returns its exit status: 0 success, 1 request failed, 2 usage, 3 the run ended
 * with `success: false`.
 * @example process.exitCode = await apiCommand(['Create hello.py'], process.env, processIo);
 */
export async function apiCommand(args: string[], env: NodeJS.ProcessEnv, io: CliIo, ctx: ApiCommandContext = {}): Promise<number> {
  const now = ctx.now ?? (() => new Date());
  let prepared: PreparedRequest;
  try {
    const { values, positionals } = parseArgs({ args, options: API_OPTIONS, strict: true, allowPositionals: true });
    if (values.help) {
      io.stdout(API_USAGE);
      return EXIT.ok;
    }
    prepared = {
      url: resolveEndpoint(values.endpoint, env),
      apiKey: resolveApiKey(values['api-key'], env, () => loadConfig({ 'data-dir': values['data-dir'] }, env, undefined, ctx.cwd).dataDir),
      body: buildRequestBody(promptOf(positionals), values),
      json: values.json === true,
    };
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || isParseArgsError(err)) {
      io.stderr(`cca: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }

  let reply: HttpReply;
  try {
    reply = await postJson(prepared.url, prepared.body, { 'x-api-key': prepared.apiKey });
  } catch (err) {
    io.stderr(`cca: ${describeNetworkError(err, prepared.url.href)}\n`);
    return EXIT.failure;
  }
  if (reply.status < 200 || reply.status > 299) {
    io.stderr(`cca: ${describeHttpError(reply, prepared.url.href, now())}\n`);
    return EXIT.failure;
  }

  if (prepared.json) io.stdout(reply.text.endsWith('\n') ? reply.text : `${reply.text}\n`);
  const output = parseOutput(reply.text);
  if (output === undefined) {
    io.stderr(
      `cca: ${prepared.url.href} answered ${reply.status} with a body that is not an invocation result: ${reply.text.slice(0, 300)}\n`,
    );
    return EXIT.failure;
  }
  if (!prepared.json) io.stdout(renderOutput(output));
  if (!output.success) {
    io.stderr(renderErrors(output));
    return EXIT.runFailed;
  }
  return EXIT.ok;
}

interface PreparedRequest {
  url: URL;
  apiKey: string;
  body: string;
  json: boolean;
}

/**
 * The invoke URL: `--endpoint`, else CCA_ENDPOINT, else the local service; `/invoke` is appended
 * unless the path already ends in it (the original's API_ENDPOINT does).
 * @example resolveEndpoint(undefined, { CCA_ENDPOINT: 'https://x.execute-api.us-east-1.amazonaws.com/prod' }).href // '.../prod/invoke'
 */
export function resolveEndpoint(flag: string | undefined, env: NodeJS.ProcessEnv): URL {
  const raw = nonEmpty(flag) ?? nonEmpty(env.CCA_ENDPOINT) ?? 'http://127.0.0.1:8080';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--endpoint / CCA_ENDPOINT must be an http(s) URL such as http://127.0.0.1:8080; got "${raw}".`);
  }
  const trimmed = url.pathname.replace(/\/+$/, '');
  url.pathname = trimmed.endsWith('/invoke') ? trimmed : `${trimmed}/invoke`;
  return url;
}

/**
 * The API key: `--api-key`, else CCA_API_KEY, else the file `<data dir>/.api_key` (trimmed).
 * `dataDir` is called only when the file is needed, so a key given outright needs no configuration.
 */
export function resolveApiKey(flag: string | undefined, env: NodeJS.ProcessEnv, dataDir: () => string): string {
  const given = nonEmpty(flag) ?? nonEmpty(env.CCA_API_KEY);
  if (given !== undefined) return given;
  const file = path.join(dataDir(), '.api_key');
  let problem: string;
  try {
    const fromFile = nonEmpty(fs.readFileSync(file, 'utf8'));
    if (fromFile !== undefined) return fromFile;
    problem = 'empty';
  } catch (err) {
    problem = err instanceof Error && 'code' in err && err.code === 'ENOENT' ? 'not found' : `unreadable: ${(err as Error).message}`;
  }
  throw new UsageError(
    `no API key: looked at --api-key, CCA_API_KEY and ${file} (${problem}).\n` +
      `  Create one with: cca keys create --name me   (then pass it with --api-key or CCA_API_KEY)\n` +
      `  or start "cca serve" once: it writes a key to <data dir>/.api_key.`,
  );
}

/** The request body, built with JSON.stringify: any prompt (quotes, `$(...)`, newlines) arrives as typed. */
export function buildRequestBody(
  prompt: string,
  flags: { 'permission-mode'?: string; 'allowed-tools'?: string; session?: string; 'max-turns'?: string; timeout?: string },
): string {
  return JSON.stringify({
    prompt,
    permission_mode: flags['permission-mode'],
    allowed_tools: flags['allowed-tools'],
    session_id: flags.session,
    max_turns: flags['max-turns'] === undefined ? undefined : positiveNumber('--max-turns', flags['max-turns'], true),
    timeout_s: flags.timeout === undefined ? undefined : positiveNumber('--timeout', flags.timeout, false),
  });
}

function promptOf(positionals: string[]): string {
  if (positionals.length === 0) throw new UsageError('say what the agent should do: cca api "Create a hello world Python script".');
  if (positionals.length > 1) {
    throw new UsageError(`pass the task as one quoted argument: cca api "${positionals.join(' ')}" (got ${positionals.length} arguments).`);
  }
  const prompt = positionals[0] as string;
  if (prompt.trim() === '') throw new UsageError('the task is empty: say what the agent should do.');
  return prompt;
}

function positiveNumber(flag: string, raw: string, integer: boolean): number {
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  const ok = Number.isFinite(value) && (integer ? Number.isInteger(value) && value >= 1 : value >= 1);
  if (!ok) throw new UsageError(`${flag} must be ${integer ? 'a positive integer' : 'a number of seconds, at least 1'}; got "${raw}".`);
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
