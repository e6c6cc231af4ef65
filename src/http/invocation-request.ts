/**
 * The invocation request: zod is the one source of its type, its validation and (later) its
 * OpenAPI document. Bounds that depend on configuration are checked in `parseInvocation`.
 */
import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';
import type { Limits } from '../config/index.js';
import { MAX_DOMAINS, parseDomainList, type DomainPattern } from '../egress/index.js';
import { assertRef, DEFAULT_GIT_USERNAME, isCommitId } from '../codebase/index.js';
import { ValidationError } from '../errors/index.js';
import { parseInputPrefix, type InputPrefix } from './input-prefix.js';
import { issuesOf } from './issues.js';
import { MCP_SERVER_NAME, MCP_SERVER_NAME_RULE } from '../config/index.js';
import type { McpServerRequest } from '../mcp/selection.js';
import type { McpToolRef } from '../mcp/tool-names.js';
import { PERMISSION_MODES, type RequestPermissionMode } from '../runner/permissions.js';
import { mcpToolsOf, resolveTools } from '../runner/tools.js';
import { WebhookRequestSchema, type WebhookRequest } from '../schemas/webhooks.js';

/** Most MCP servers one request may name, and headers one server of its own may carry. */
const MAX_MCP_SERVERS = 20;
const MAX_MCP_HEADERS = 32;
/** Headers that shape the connection or the message itself, not the server's access: the service sets them. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'mcp-session-id',
  'mcp-protocol-version',
]);

export const InvocationRequest = z
  .strictObject({
    prompt: z
      .string({ error: 'prompt is required: a non-empty string with the task, e.g. "Create a hello world Python script".' })
      .meta({ description: 'The task, in plain language.', examples: ['Create a FastAPI server with a health check endpoint'] }),
    permission_mode: z
      .enum(PERMISSION_MODES, { error: `permission_mode must be one of: ${PERMISSION_MODES.join(', ')}.` })
      .meta({
        description:
          'What the agent may do; nothing ever waits for an answer that cannot come. `acceptEdits` (default): the allowed tools, inside the workspace. `acceptAll`: anything. `manual`: each tool use that needs approval emits a `permission.request` event and waits for POST /sessions/{id}/permissions/{request_id} (under `cca serve`, or on AWS through the API; denied after `approval_timeout_s`, or at once on a bare runtime without S3 storage). The SDK names also work: `default` (= manual), `plan` (plans, runs nothing), `bypassPermissions` (= acceptAll), `dontAsk` (the allowed tools only).',
      })
      .optional(),
    allowed_tools: z
      .union([z.string(), z.array(z.string())], { error: 'allowed_tools must be a comma-separated string or an array of tool names.' })
      .meta({
        description:
          "Claude Code tools the agent may use: a comma-separated string or an array. The original sample's Replace, Search and List mean Edit, Grep and Glob. " +
          "MCP tools of the servers in `mcp_servers`: `mcp__<server>__<tool>`, or `mcp__<server>` for all of a server's tools; naming any tool of a server offers the run only the tools named.",
        examples: ['Bash,Read,Write,Edit,Grep,Glob'],
      })
      .optional(),
    allowed_domains: z
      .union([z.string(), z.array(z.string())], {
        error: 'allowed_domains must be a comma-separated string or an array of host names, e.g. ["github.com", "*.pypi.org"].',
      })
      .meta({
        description:
          'Hosts the run may connect to, besides the model: `example.com` (that host), `*.example.com` (its subdomains) or an IP address; `[]` or `"none"`: the model only. Everything else is refused. Within the deployment\'s own allowlist (`CCA_ALLOWED_DOMAINS`), if it has one; needs the run sandbox. Omitted: the deployment\'s egress.',
        examples: [['github.com', '*.githubusercontent.com', 'pypi.org', 'files.pythonhosted.org']],
      })
      .optional(),
    mcp_servers: z
      .array(
        z.union([
          z.string(),
          z.strictObject(
            {
              name: z.string({ error: 'mcp_servers[].name is required: the name the tools will have, mcp__<name>__<tool>.' }),
              url: z.string({ error: 'mcp_servers[].url is required: the streamable HTTP URL of the server.' }),
              headers: z.record(z.string(), z.string(), { error: 'mcp_servers[].headers must be an object of strings.' }).optional(),
            },
            {
              error: (issue) =>
                issue.code === 'unrecognized_keys'
                  ? `mcp_servers: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; a server of your own is {"name": "...", "url": "...", "headers"?: {...}}.`
                  : undefined,
            },
          ),
        ]),
        {
          error:
            'mcp_servers must be an array of server names, e.g. ["docs"] (or, where the operator allows it, {"name": "...", "url": "...", "headers"?: {...}}).',
        },
      )
      .max(MAX_MCP_SERVERS, `mcp_servers names at most ${MAX_MCP_SERVERS} servers.`)
      .meta({
        description:
          "MCP servers whose tools the run may use: names of servers the operator declared (`--mcp-config`). Omitted: the operator's default servers (none unless marked `default`); `[]`: none. " +
          'Where the operator allows it (`--mcp-allow-request-servers`), also servers of your own, `{"name", "url", "headers"?}` over streamable HTTP, reached by the service at an address the egress rules allow. ' +
          "The run never sees a server's URL or credentials: the service connects and relays the tool calls.",
        examples: [['docs'], ['gateway']],
      })
      .optional(),
    session_id: z
      .string({ error: 'session_id must be a string.' })
      .meta({ description: "Continue in this session's workspace and conversation; omitted: a new session." })
      .optional(),
    model: z
      .string()
      .regex(/^[\w.:/@-]{1,200}$/, 'model must be a model id such as claude-haiku-4-5 or an inference profile id.')
      .meta({ description: "Model id for this run; omitted: the service's model.", examples: ['claude-haiku-4-5'] })
      .optional(),
    max_turns: z
      .number({ error: 'max_turns must be a positive integer.' })
      .int()
      .positive()
      .meta({ description: "Stop after this many model turns; omitted: the service's default." })
      .optional(),
    max_budget_usd: z
      .number({ error: 'max_budget_usd must be a positive number.' })
      .positive()
      .meta({ description: "Stop once the run has cost this many US dollars; omitted: the service's default." })
      .optional(),
    timeout_s: z
      .number({ error: 'timeout_s must be a number of seconds, at least 1.' })
      .min(1, 'timeout_s must be at least 1 second.')
      .meta({ description: "Stop after this many seconds (files written so far are stored); omitted: the service's default." })
      .optional(),
    approval_timeout_s: z
      .number({ error: 'approval_timeout_s must be a number of seconds, at least 1.' })
      .min(1, 'approval_timeout_s must be at least 1 second.')
      .meta({ description: 'manual mode: how long a tool use waits for an answer before it is denied.' })
      .optional(),
    repository: z
      .strictObject(
        {
          url: z.string({ error: 'repository.url is required: the https URL of a git repository.' }).meta({
            description: 'https (or http) URL of the repository, without credentials.',
            examples: ['https://github.com/octocat/Hello-World.git'],
          }),
          ref: z
            .string({ error: 'repository.ref must be a string.' })
            .meta({ description: "Branch, tag or full commit id; omitted: the remote's default branch." })
            .optional(),
          depth: z
            .number({ error: 'repository.depth must be a whole number of commits, 0 for all of them.' })
            .int('repository.depth must be a whole number of commits, 0 for all of them.')
            .min(0, 'repository.depth must be 0 (all history) or more.')
            .max(1_000_000, 'repository.depth is at most 1000000; use 0 for all history.')
            .meta({ description: 'Commits of history to fetch (default 1, as actions/checkout); 0: all of it.' })
            .optional(),
        },
        { error: 'repository must be an object {"url": "...", "ref"?: "...", "depth"?: n}.' },
      )
      .meta({
        description:
          'A new session starts from this repository: the service clones it outside the run (the clone counts in timeout_s and shows as `workspace.preparing` events) and the output reports `changes` against it.',
      })
      .optional(),
    git_token: z
      .string({ error: 'git_token must be a string.' })
      .min(1, 'git_token must not be empty.')
      .max(4096, 'git_token is at most 4096 characters.')
      .meta({
        description:
          "Token for the repository's host (clone, push, pull request). Used by the service only: never given to the run, recorded, logged or kept after the invocation. Omitted: the credential the operator registered for the host on your key, if any.",
      })
      .optional(),
    git_username: z
      .string({ error: 'git_username must be a string.' })
      .regex(/^[^:\s]{1,100}$/, 'git_username must be 1-100 characters without ":" or spaces.')
      .meta({ description: 'User name sent with git_token (default `x-access-token`, which GitHub, GitLab and Gitea accept).' })
      .optional(),
    push: z
      .strictObject(
        {
          branch: z.string({ error: 'push.branch is required: the branch to push the changes to.' }).meta({ examples: ['cca/fix-tests'] }),
          commit_message: z
            .string({ error: 'push.commit_message must be a string.' })
            .min(1, 'push.commit_message must not be empty.')
            .max(65_536, 'push.commit_message is at most 65536 characters.')
            .optional(),
        },
        { error: 'push must be an object {"branch": "...", "commit_message"?: "..."}.' },
      )
      .meta({
        description:
          "After the run, commit the session's changes on top of the commit it started from and push them to this branch (never forced), with git_token. Needs a session started from a repository.",
      })
      .optional(),
    pull_request: z
      .strictObject(
        {
          title: z.string().min(1).max(256).optional(),
          body: z.string().max(65_536).optional(),
          base: z.string().optional().meta({ description: "Branch to merge into; omitted: the repository's default branch." }),
          draft: z.boolean().optional(),
        },
        { error: 'pull_request must be an object {"title"?, "body"?, "base"?, "draft"?}.' },
      )
      .meta({
        description: 'After the push, open a GitHub pull request from push.branch (GitHub or GitHub Enterprise, through its REST API).',
      })
      .optional(),
    input_s3_prefix: z
      .string({ error: 'input_s3_prefix must be a string: "s3://<bucket>/inputs/<folder>/" or "inputs/<folder>/".' })
      .meta({
        description:
          "On AWS (S3 storage): copy every object under this folder of the deployment's artifact bucket into the workspace before the run, at its key minus the prefix. " +
          'Put the files under `inputs/` first (`aws s3 cp --recursive ./src s3://<bucket>/inputs/<folder>/`): the only prefix the service may read. ' +
          'The copied files are the starting point of the invocation, not its changes; bounded like uploads. Under `cca serve` with disk storage, use POST /sessions/{id}/files.',
        examples: ['s3://my-artifact-bucket/inputs/job-42/', 'inputs/job-42/'],
      })
      .optional(),
    webhook: WebhookRequestSchema.nullable().optional(),
    async: z
      .boolean({ error: 'async must be true or false.' })
      .meta({ description: 'Answer 202 at once with the session id and status and events URLs; the run continues.' })
      .optional(),
  })
  .meta({ id: 'InvocationRequest', description: 'A coding task for the agent. Only `prompt` is required; other fields are refused.' });
export type InvocationRequest = z.infer<typeof InvocationRequest>;

/** `/invocations` also takes the upstream AgentCore sample's `{"input": {...}}` wrapping. */
export const AgentCoreInvocationRequest = z
  .union([
    InvocationRequest,
    z.strictObject({ input: InvocationRequest }).meta({ description: 'The same request wrapped as AgentCore samples send it.' }),
  ])
  .meta({ id: 'AgentCoreInvocationRequest', description: 'A request, flat or wrapped in `input`.' });

/** The fields a request may have, for "did you mean" answers. */
const FIELDS = Object.keys(InvocationRequest.shape);

/** A request after validation, with defaults and bounds applied. */
export interface ValidInvocation {
  prompt: string;
  permissionMode: RequestPermissionMode;
  tools: string[];
  /** MCP servers the request names (`mcp_servers`, with the headers of its own servers); undefined: the operator's defaults. */
  mcpServers: McpServerRequest[] | undefined;
  /** MCP tools named in `allowed_tools`. */
  mcpTools: McpToolRef[];
  /** Hosts the run may reach (`allowed_domains`); undefined: the deployment's egress. */
  allowedDomains: DomainPattern[] | undefined;
  sessionId: string | undefined;
  model: string | undefined;
  maxTurns: number;
  maxBudgetUsd: number;
  timeoutMs: number;
  approvalTimeoutMs: number;
  /** Answer 202 at once (also asked for by the header `Prefer: respond-async`). */
  async: boolean;
  /** Objects to copy into the workspace first (`input_s3_prefix`): the bucket if named, and the key prefix; checked against the deployment at admission. */
  inputPrefix: InputPrefix | undefined;
  /** A new session's repository (`repository`); its URL is checked against the deployment at admission. */
  repository: { url: string; ref: string | undefined; depth: number } | undefined;
  /** The request's credential for the repository's host; never recorded. */
  gitCredential: { username: string; token: string } | undefined;
  /** Commit and push the changes after the run (`push`). */
  push: { branch: string; message: string | undefined } | undefined;
  /** Open a pull request after the push (`pull_request`). */
  pullRequest: { title: string | undefined; body: string | undefined; base: string | undefined; draft: boolean } | undefined;
  /** Signed POSTs of this invocation's events (`webhook`); null: none, not even the key's default; undefined: the key's default. */
  webhook: WebhookRequest | null | undefined;
  /** The request as given, for the record: without git_token. */
  raw: InvocationRequest;
}

/** How to pass what does not fit in a prompt: the ways that exist, uploads (serve) and input_s3_prefix (S3 storage). */
export const LARGE_INPUTS =
  'Shorten it, or put the large part in files and name them in the prompt: upload them into a session first with ' +
  'POST /sessions/{session_id}/files (cca invoke --file PATH or --dir DIR does it) and invoke with that session_id, ' +
  'or, with S3 storage, copy them under inputs/<folder>/ of the bucket and send input_s3_prefix.';

/**
 * Validates a parsed JSON body: the flat form or AgentCore's upstream `{"input": {...}}` wrapping.
 * Throws ValidationError naming every problem and how to fix it.
 */
export function parseInvocation(body: unknown, limits: Limits): ValidInvocation {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError('The body must be a JSON object such as {"prompt": "Create a hello world Python script"}.');
  }
  const record = body as Record<string, unknown>;
  const wrapped = record.prompt === undefined && typeof record.input === 'object' && record.input !== null && !Array.isArray(record.input);
  // Flat, `input` is ignored, as it always was (AgentCore's wrapping beside a top-level prompt).
  const { input: _ignored, ...flat } = record;
  const unwrapped = wrapped ? (record.input as Record<string, unknown>) : flat;
  if (wrapped) refuseFieldsBesideInput(Object.keys(flat));
  refuseUnknownFields(unwrapped);
  const parsed = InvocationRequest.safeParse(unwrapped);
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    throw new ValidationError(issues.map((i) => i.message).join(' '), { issues });
  }
  const req = parsed.data;
  const prompt = req.prompt.trim();
  if (prompt === '') throw new ValidationError('prompt must not be empty: say what the agent should do.', { field: 'prompt' });
  if (req.prompt.length > limits.maxPromptChars) {
    throw new ValidationError(`prompt is ${req.prompt.length} characters; the limit is ${limits.maxPromptChars}. ${LARGE_INPUTS}`, {
      field: 'prompt',
      limit: limits.maxPromptChars,
    });
  }
  return {
    prompt: req.prompt,
    permissionMode: req.permission_mode ?? 'acceptEdits',
    tools: resolveTools(req.allowed_tools),
    mcpServers: req.mcp_servers === undefined ? undefined : mcpServersOf(req.mcp_servers),
    mcpTools: mcpToolsOf(req.allowed_tools),
    allowedDomains: req.allowed_domains === undefined ? undefined : domainsOf(req.allowed_domains),
    sessionId: req.session_id,
    model: req.model,
    maxTurns: bounded('max_turns', req.max_turns, limits.defaultMaxTurns, limits.maxTurnsLimit),
    maxBudgetUsd: bounded('max_budget_usd', req.max_budget_usd, limits.defaultBudgetUsd, limits.budgetUsdLimit),
    timeoutMs: Math.round(bounded('timeout_s', req.timeout_s, limits.defaultTimeoutS, limits.timeoutSLimit) * 1000),
    approvalTimeoutMs: Math.round(
      bounded('approval_timeout_s', req.approval_timeout_s, limits.defaultApprovalTimeoutS, limits.approvalTimeoutSLimit) * 1000,
    ),
    async: req.async ?? false,
    inputPrefix: req.input_s3_prefix === undefined ? undefined : parseInputPrefix(req.input_s3_prefix),
    webhook: req.webhook,
    ...gitFields(req),
    raw: withoutSecrets(req),
  };
}

/** The repository, credential, push and pull request fields, checked together. */
function gitFields(req: InvocationRequest): Pick<ValidInvocation, 'repository' | 'gitCredential' | 'push' | 'pullRequest'> {
  const { repository, push, pull_request: pr } = req;
  if (repository?.ref !== undefined) assertRef(repository.ref, 'repository.ref');
  if (push !== undefined) {
    assertRef(push.branch, 'push.branch');
    if (isCommitId(push.branch) || push.branch === 'HEAD') {
      throw new ValidationError('push.branch must be a branch name such as "cca/fix-tests", not a commit id or HEAD.', {
        field: 'push.branch',
      });
    }
  }
  if (pr !== undefined && push === undefined) {
    throw new ValidationError('pull_request needs push: name the branch to open it from, e.g. "push": {"branch": "cca/fix-tests"}.', {
      field: 'pull_request',
    });
  }
  if (pr?.base !== undefined) assertRef(pr.base, 'pull_request.base');
  if (req.git_username !== undefined && req.git_token === undefined) {
    throw new ValidationError('git_username goes with git_token: send the token too, or neither.', { field: 'git_username' });
  }
  return {
    repository: repository === undefined ? undefined : { url: repository.url, ref: repository.ref, depth: repository.depth ?? 1 },
    gitCredential: req.git_token === undefined ? undefined : { username: req.git_username ?? DEFAULT_GIT_USERNAME, token: req.git_token },
    push: push === undefined ? undefined : { branch: push.branch, message: push.commit_message },
    pullRequest: pr === undefined ? undefined : { title: pr.title, body: pr.body, base: pr.base, draft: pr.draft ?? false },
  };
}

/**
 * `mcp_servers` checked entry by entry: names as tools can carry them, once each; a request's own
 * server with an http(s) URL and headers that can go on the wire.
 */
function mcpServersOf(entries: NonNullable<InvocationRequest['mcp_servers']>): McpServerRequest[] {
  const fail = (message: string) => new ValidationError(message, { field: 'mcp_servers' });
  return entries.map((entry) => {
    const name = typeof entry === 'string' ? entry : entry.name;
    if (!MCP_SERVER_NAME.test(name)) {
      throw fail(
        `mcp_servers: "${shown(name)}" is not a server name: ${MCP_SERVER_NAME_RULE} (tools are named mcp__<server>__<tool>, at most 64 characters in all).`,
      );
    }
    if (typeof entry === 'string') return entry;
    let url: URL;
    try {
      url = new URL(entry.url);
    } catch {
      throw fail(`mcp_servers.${name}.url must be an http(s) URL such as https://mcp.example.com/mcp.`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw fail(`mcp_servers.${name}.url must be an http(s) URL.`);
    if (url.username !== '' || url.password !== '')
      throw fail(`mcp_servers.${name}.url must not carry a user or password; send it in headers.`);
    const headers = entry.headers ?? {};
    if (Object.keys(headers).length > MAX_MCP_HEADERS) throw fail(`mcp_servers.${name}.headers has more than ${MAX_MCP_HEADERS} headers.`);
    for (const [key, value] of Object.entries(headers)) {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/.test(key)) {
        throw fail(`mcp_servers.${name}.headers: "${shown(key)}" is not a header name.`);
      }
      if (RESERVED_HEADERS.has(key.toLowerCase())) {
        throw fail(`mcp_servers.${name}.headers.${key} is set by the service's connection; leave it out.`);
      }
      if (/[\r\n\0]/.test(value) || value.length > 8192) {
        throw fail(`mcp_servers.${name}.headers.${key} must be at most 8192 characters without line breaks.`);
      }
    }
    return { name, url: url.href, headers };
  });
}

/** The request as recorded: a credential never reaches the database, the events or the state mirror. */
function withoutSecrets(req: InvocationRequest): InvocationRequest {
  const { git_token: _token, ...rest } = req;
  if (rest.mcp_servers?.some((s) => typeof s !== 'string' && s.headers !== undefined)) {
    // A request's own server's headers are its credentials: their names are kept, their values not.
    rest.mcp_servers = rest.mcp_servers.map((s) =>
      typeof s === 'string' || s.headers === undefined
        ? s
        : { ...s, headers: Object.fromEntries(Object.keys(s.headers).map((k) => [k, '[redacted]'])) },
    );
  }
  return rest;
}

/** At most this many unknown fields are named: a body of thousands of keys gets a short answer. */
const MAX_NAMED = 5;
/** Longer keys are named cut short, and get no suggestion. */
const MAX_KEY_CHARS = 60;

/** A misspelt field would otherwise be dropped and the run go on without it (a `promt` makes no prompt, a `timeout` no limit). */
function refuseUnknownFields(body: Record<string, unknown>): void {
  const unknown = Object.keys(body).filter((key) => !FIELDS.includes(key));
  if (unknown.length === 0) return;
  const issues = unknown.slice(0, MAX_NAMED).map((key) => {
    const nearest = key.length <= MAX_KEY_CHARS ? closest(key, FIELDS) : undefined;
    const close = nearest !== undefined && distance(key.toLowerCase(), nearest.toLowerCase()) <= Math.max(2, Math.floor(key.length / 3));
    const hint = close ? `did you mean "${nearest}"?` : `the fields are ${FIELDS.join(', ')}.`;
    return { field: shown(key), message: `Unknown field "${shown(key)}" in the body; ${hint}`, ...(close ? { suggestion: nearest } : {}) };
  });
  const first = issues[0]!;
  const more = unknown.length - issues.length;
  const message = issues.map((i) => i.message).join(' ') + (more > 0 ? ` And ${more} more unknown fields.` : '');
  const details = issues.length === 1 ? { field: first.field, ...(first.suggestion ? { suggestion: first.suggestion } : {}) } : {};
  throw new ValidationError(message, { ...details, issues });
}

/** With AgentCore's `{"input": {...}}` wrapping, fields beside `input` would be dropped unread. */
function refuseFieldsBesideInput(beside: string[]): void {
  const first = beside[0];
  if (first === undefined) return;
  const named = beside.slice(0, MAX_NAMED).map((key) => `"${shown(key)}"`);
  const more = beside.length > MAX_NAMED ? ` and ${beside.length - MAX_NAMED} more` : '';
  throw new ValidationError(
    `The request is wrapped in "input", so fields beside it are not read: move ${named.join(', ')}${more} into "input", or send the request flat.`,
    { field: shown(first) },
  );
}

function shown(key: string): string {
  return key.length <= MAX_KEY_CHARS ? key : `${key.slice(0, MAX_KEY_CHARS)}...`;
}

function domainsOf(raw: string | string[]): DomainPattern[] {
  try {
    return parseDomainList(raw, 'allowed_domains');
  } catch (err) {
    throw new ValidationError(
      `${(err as Error).message} Use host names such as "github.com", patterns such as "*.pypi.org", or IP addresses; [] for none.`,
      { field: 'allowed_domains', limit: MAX_DOMAINS },
    );
  }
}

function bounded(field: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (value > max) {
    throw new ValidationError(`${field} is ${value}; at most ${max} is allowed (the server's maximum, or the API key's if lower).`, {
      field,
      limit: max,
    });
  }
  return value;
}
