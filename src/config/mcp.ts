/**
 * The operator's MCP servers (`--mcp-config FILE` / `CCA_MCP_CONFIG`): Claude Code's `.mcp.json`
 * shape plus `auth` for remote servers and `default`, read once at start-up. `${VAR}` and
 * `${VAR:-fallback}` in a server's command, args, env, url, headers and auth fields come from the
 * service's environment. A bad file stops the start with a message naming the server and field.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * A server name: the `<server>` of `mcp__<server>__<tool>`, so nothing Claude Code would rewrite,
 * no `__` and no `_` at the end (either would make the tool names ambiguous), and at most 48
 * characters: the whole tool name may have 64 (the model API's limit), which leaves its tools 9.
 */
export const MCP_SERVER_NAME = /^(?!.*__)[A-Za-z0-9](?:[A-Za-z0-9_-]{0,46}[A-Za-z0-9-])?$/;

/** How a server name is written, for messages. */
export const MCP_SERVER_NAME_RULE = '1-48 letters, digits, "_" or "-", without "__" or a "_" at the end';

/** How the service authenticates to a remote server, besides the static headers. */
export type McpAuth =
  | { type: 'aws_iam'; region: string; service: string }
  | { type: 'oauth_client_credentials'; tokenUrl: string; clientId: string; clientSecret: string; scope: string | undefined };

/** A declared server, with `${VAR}` already replaced. */
export type McpServerDecl =
  | { type: 'http' | 'sse'; url: string; headers: Record<string, string>; auth: McpAuth | undefined; default: boolean }
  | { type: 'stdio'; command: string; args: string[]; env: Record<string, string>; default: boolean };

/** MCP as the operator configured it. */
export interface McpConfig {
  /** Declared servers by name (empty: MCP is off unless requests may bring their own). */
  servers: Record<string, McpServerDecl>;
  /** Where the servers came from, for the start-up message: the file, or "MCP config (inline JSON)". */
  source: string | undefined;
  /** stdio servers may be declared (`--mcp-allow-stdio` / CCA_MCP_ALLOW_STDIO=1): they run as the service's user. */
  allowStdio: boolean;
  /** Requests may name remote servers of their own (`--mcp-allow-request-servers` / CCA_MCP_ALLOW_REQUEST_SERVERS=1). */
  allowRequestServers: boolean;
  /** Longest wait for one MCP tool call (CCA_MCP_TIMEOUT_S). */
  toolTimeoutMs: number;
}

/** No servers, nothing allowed. */
export const NO_MCP: McpConfig = { servers: {}, source: undefined, allowStdio: false, allowRequestServers: false, toolTimeoutMs: 300_000 };

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A string field: "is required: <what>" when missing, "must be a string" when of another type. */
const str = (what: string) => z.string({ error: (i) => (i.input === undefined ? `is required: ${what}` : 'must be a string') });
const Strings = z.record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of strings' });

const AwsIamAuth = z.strictObject({
  type: z.literal('aws_iam'),
  region: str('an AWS region').min(1, 'must not be empty').optional(),
  service: str('a service signing name')
    .regex(/^[a-z0-9-]{1,64}$/, 'must be an AWS service signing name such as bedrock-agentcore')
    .optional(),
});
const OAuthAuth = z.strictObject({
  type: z.literal('oauth_client_credentials'),
  token_url: str('the URL of the token endpoint'),
  client_id: str('the client id').min(1, 'must not be empty'),
  client_secret_env: str('the name of the variable that holds the client secret').regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    'must be the name of an environment variable, e.g. "GATEWAY_CLIENT_SECRET"',
  ),
  scope: str('scopes separated by spaces').optional(),
});
const Auth = z.discriminatedUnion('type', [AwsIamAuth, OAuthAuth], {
  error: 'must be {"type": "aws_iam", ...} or {"type": "oauth_client_credentials", ...}',
});
const Remote = z.strictObject({
  type: z.enum(['http', 'sse']),
  url: str('the server URL'),
  headers: Strings.optional(),
  auth: Auth.optional(),
  default: z.boolean({ error: 'must be true or false' }).optional(),
});
const Stdio = z.strictObject({
  type: z.literal('stdio').optional(),
  command: str('the program to run').min(1, 'must not be empty'),
  args: z.array(z.string({ error: 'must be a string' }), { error: 'must be an array of strings' }).optional(),
  env: Strings.optional(),
  default: z.boolean({ error: 'must be true or false' }).optional(),
});
const FileSchema = z.strictObject(
  {
    mcpServers: z.record(z.string(), z.unknown(), {
      error: (i) => (i.input === undefined ? 'is required: {"mcpServers": {"<name>": {...}}}' : 'must be an object of servers by name'),
    }),
  },
  { error: 'must be an object {"mcpServers": {"<name>": {...}}}' },
);

/** Flags and variables of MCP, as loadConfig hands them over. */
export interface McpInputs {
  config: string | undefined;
  allowStdio: boolean;
  allowRequestServers: boolean;
  toolTimeoutMs: number;
}

/**
 * Reads and checks the MCP configuration; throws `fail(message)` for anything wrong.
 * @example parseMcpConfig({ config: '{"mcpServers": {}}', allowStdio: false, allowRequestServers: false, toolTimeoutMs: 300000 }, env, cwd, (m) => new ConfigError(m))
 */
export function parseMcpConfig(inputs: McpInputs, env: NodeJS.ProcessEnv, cwd: string, fail: (message: string) => Error): McpConfig {
  const base = { allowStdio: inputs.allowStdio, allowRequestServers: inputs.allowRequestServers, toolTimeoutMs: inputs.toolTimeoutMs };
  if (inputs.config === undefined) return { ...base, servers: {}, source: undefined };
  const { text, source } = readSource(inputs.config, cwd, fail);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw fail(`${source} is not valid JSON: ${(err as Error).message}.`);
  }
  const file = FileSchema.safeParse(json);
  if (!file.success) throw fail(firstIssue(`${source}:`, file.error, ' '));
  const servers: Record<string, McpServerDecl> = {};
  for (const [name, raw] of Object.entries(file.data.mcpServers)) {
    const at = `${source}: mcpServers.${name}`;
    if (!MCP_SERVER_NAME.test(name)) {
      throw fail(
        `${at}: a server name must be ${MCP_SERVER_NAME_RULE} (tools are named mcp__<server>__<tool>, at most 64 characters in all).`,
      );
    }
    servers[name] = parseServer(raw, at, { env, allowStdio: inputs.allowStdio, fail });
  }
  return { ...base, servers, source };
}

function readSource(value: string, cwd: string, fail: (message: string) => Error): { text: string; source: string } {
  if (value.trimStart().startsWith('{')) return { text: value, source: 'MCP config (inline JSON)' };
  const file = path.resolve(cwd, value);
  try {
    return { text: fs.readFileSync(file, 'utf8'), source: file };
  } catch (err) {
    throw fail(
      `--mcp-config / CCA_MCP_CONFIG: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}); give a file path, or inline JSON starting with "{".`,
    );
  }
}

type Ctx = { env: NodeJS.ProcessEnv; allowStdio: boolean; fail: (message: string) => Error };

function parseServer(raw: unknown, at: string, ctx: Ctx): McpServerDecl {
  const { fail } = ctx;
  const type = (raw as { type?: unknown } | null)?.type;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fail(`${at} must be an object.`);
  if (type === undefined && !('command' in raw)) {
    throw fail(`${at}: "type" is required: "http" (streamable HTTP), "sse", or "stdio" with a "command".`);
  }
  if (type !== undefined && type !== 'stdio' && type !== 'http' && type !== 'sse') {
    throw fail(`${at}.type must be "http", "sse" or "stdio"; got ${JSON.stringify(type)}.`);
  }
  const isStdio = type === undefined || type === 'stdio';
  if (isStdio) {
    const parsed = Stdio.safeParse(raw);
    if (!parsed.success) throw fail(firstIssue(at, parsed.error));
    if (!ctx.allowStdio) {
      throw fail(
        `${at} is a stdio server: its command would run on this machine as the service's user, outside the run sandbox. ` +
          'Allow stdio servers with --mcp-allow-stdio (CCA_MCP_ALLOW_STDIO=1), or use an http server.',
      );
    }
    const s = parsed.data;
    return {
      type: 'stdio',
      command: expand(s.command, `${at}.command`, ctx),
      args: (s.args ?? []).map((a, i) => expand(a, `${at}.args.${i}`, ctx)),
      env: expandAll(s.env ?? {}, `${at}.env`, ctx),
      default: s.default ?? false,
    };
  }
  const parsed = Remote.safeParse(raw);
  if (!parsed.success) throw fail(firstIssue(at, parsed.error));
  const s = parsed.data;
  const headers = expandAll(s.headers ?? {}, `${at}.headers`, ctx);
  for (const [name, value] of Object.entries(headers)) {
    if (!headerName.test(name)) throw fail(`${at}.headers: "${name}" is not a valid header name.`);
    if (/[\r\n\0]/.test(value)) throw fail(`${at}.headers.${name} holds a line break or NUL, which a header cannot carry.`);
  }
  return {
    type: s.type,
    url: httpUrl(expand(s.url, `${at}.url`, ctx), `${at}.url`, fail),
    headers,
    auth: s.auth === undefined ? undefined : parseAuth(s.auth, `${at}.auth`, ctx),
    default: s.default ?? false,
  };
}

function parseAuth(auth: z.infer<typeof Auth>, at: string, ctx: Ctx): McpAuth {
  if (auth.type === 'aws_iam') {
    const region = auth.region === undefined ? undefined : expand(auth.region, `${at}.region`, ctx);
    return {
      type: 'aws_iam',
      region: region ?? nonEmpty(ctx.env.AWS_REGION) ?? nonEmpty(ctx.env.AWS_DEFAULT_REGION) ?? 'us-east-1',
      service: auth.service ?? 'bedrock-agentcore',
    };
  }
  const secret = nonEmpty(ctx.env[auth.client_secret_env]);
  if (secret === undefined) {
    throw ctx.fail(`${at}.client_secret_env names ${auth.client_secret_env}, which is not set in the service's environment.`);
  }
  return {
    type: 'oauth_client_credentials',
    tokenUrl: httpUrl(expand(auth.token_url, `${at}.token_url`, ctx), `${at}.token_url`, ctx.fail),
    clientId: expand(auth.client_id, `${at}.client_id`, ctx),
    clientSecret: secret,
    scope: auth.scope === undefined ? undefined : expand(auth.scope, `${at}.scope`, ctx),
  };
}

/** `${VAR}` and `${VAR:-fallback}` replaced from the environment; an unset variable without a fallback is an error. */
export function expand(value: string, at: string, ctx: Pick<Ctx, 'env' | 'fail'>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_match, name: string, fallback: string | undefined) => {
    const found = ctx.env[name];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    throw ctx.fail(`${at} uses \${${name}}, which is not set in the service's environment (or write \${${name}:-default}).`);
  });
}

function expandAll(values: Record<string, string>, at: string, ctx: Ctx): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, expand(v, `${at}.${k}`, ctx)]));
}

function httpUrl(raw: string, at: string, fail: (message: string) => Error): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw fail(`${at} must be an http(s) URL; got "${raw}".`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw fail(`${at} must be an http(s) URL; got "${raw}".`);
  if (url.username !== '' || url.password !== '')
    throw fail(`${at} must not carry a user or password; put credentials in headers or auth.`);
  return url.href;
}

function firstIssue(at: string, error: z.ZodError, separator = '.'): string {
  const issue = error.issues[0];
  if (issue === undefined) return `${at} is invalid.`;
  const field = issue.path.length === 0 ? at : `${at}${separator}${issue.path.map(String).join('.')}`;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return `${field.endsWith(':') ? field : `${field}:`} unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}; remove ${issue.keys.length > 1 ? 'them' : 'it'}.`;
  }
  return `${field} ${issue.message}.`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * The servers an MCP configuration declares, by name with their `default`, read without expanding
 * anything: for the API Lambda, which checks `mcp_servers` before the runtime but has none of the
 * runtime's variables. Undefined when the value is not inline JSON of the right shape.
 * @example declaredMcpServers('{"mcpServers": {"gateway": {"type": "http", "url": "..."}}}') // { gateway: { default: false } }
 */
export function declaredMcpServers(value: string | undefined): Record<string, { default: boolean }> | undefined {
  if (value === undefined || !value.trimStart().startsWith('{')) return undefined;
  try {
    const parsed = FileSchema.safeParse(JSON.parse(value));
    if (!parsed.success) return undefined;
    return Object.fromEntries(
      Object.entries(parsed.data.mcpServers).map(([name, s]) => [name, { default: (s as { default?: unknown } | null)?.default === true }]),
    );
  } catch {
    return undefined;
  }
}
