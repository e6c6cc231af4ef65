/**
 * The service's side of MCP: the operator's servers with their credentials (built once: OAuth
 * tokens and AWS credentials are shared by all runs), the checks a request's servers and tools
 * pass at admission, and each run's proxies. Credentials stay here; runs get in-process servers.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { McpSdkServerConfigWithInstance } from '@anthropic-ai/claude-agent-sdk';
import type { McpConfig, McpServerDecl } from '../config/index.js';
import { ValidationError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { McpReport } from '../schemas/responses.js';
import { awsIamFetch, type AwsCredentials } from './aws-iam-fetch.js';
import { closeClient, connectServer, type ReachableServer } from './connect.js';
import { capped, withHeaders, type FetchLike } from './fetch.js';
import { listAllTools } from './list-tools.js';
import { oauthFetch, TokenSource } from './oauth-fetch.js';
import { proxyServer } from './proxy-server.js';
import { reachRequestServer, type ReachPolicy, type Resolve } from './request-server.js';
import type { McpSelection } from './selection.js';
import { apiToolName, fitsToolName, mcpToolName } from './tool-names.js';
import { Upstream, type ToolCallRecord } from './upstream.js';

/** A selection whose servers can be reached: what a run is handed at admission. */
export interface McpPlan {
  servers: ReachableServer[];
}

/** What a run did with MCP, for the output's `metadata.mcp`. */
export type { McpReport };

/** One run's MCP: the servers for the Agent SDK, the report, and the end. */
export interface RunMcp {
  sdkServers: Record<string, McpSdkServerConfigWithInstance>;
  report(): McpReport;
  close(): Promise<void>;
}

export interface McpHubOptions {
  config: McpConfig;
  reach: ReachPolicy;
  log: Logger;
  /** The service's AWS credentials for `aws_iam` servers; default: the AWS SDK's default chain. */
  awsCredentials?: () => AwsCredentials;
  /** Sees every tool call as it ends (for metrics). */
  onToolCall?: (call: ToolCallRecord) => void;
  /** Name resolution for requests' own servers (tests). */
  resolve?: Resolve;
}

/** A server's tool list is trusted this long for admission checks. */
const TOOLS_CACHE_MS = 60_000;
/**
 * A server that could not be asked is not asked again at admission for this long: each try can
 * take the connect timeout, and admission would wait that long for every request naming its tools.
 */
const FAILURE_CACHE_MS = 30_000;
/** Most tool names an error message lists. */
const LISTED = 50;

export class McpHub {
  private readonly fetches = new Map<string, FetchLike>();
  private readonly toolCache = new Map<string, { until: number; listing: AdmissionListing | Error }>();
  private readonly log: Logger;

  constructor(private readonly opts: McpHubOptions) {
    this.log = opts.log.child({ component: 'mcp' });
    let aws: AwsCredentials | undefined;
    const credentials = () => (aws ??= (opts.awsCredentials ?? (() => defaultProvider()))());
    for (const [name, decl] of Object.entries(opts.config.servers)) {
      if (decl.type !== 'stdio') this.fetches.set(name, declaredFetch(decl, credentials));
    }
  }

  /** Whether any server is declared or requests may bring theirs (else MCP is off). */
  get enabled(): boolean {
    return Object.keys(this.opts.config.servers).length > 0 || this.opts.config.allowRequestServers;
  }

  /**
   * Makes the request's own servers reachable (their addresses checked and pinned) and checks that
   * the tools it names exist; 400 otherwise. A server that cannot be asked now is not a refusal:
   * the run goes on, and its calls say what failed.
   * @example const plan = await hub.admit(selectMcpServers(req, config.mcp));
   */
  async admit(selection: McpSelection): Promise<McpPlan> {
    const servers: ReachableServer[] = [];
    for (const s of selection.servers) {
      if (s.source === 'request' && s.decl.type === 'http') {
        const pinned = await reachRequestServer(s.name, s.decl.url, this.opts.reach, this.opts.resolve);
        servers.push({ ...s, fetch: capped(withHeaders(pinned, s.decl.headers)) });
      } else servers.push({ ...s, fetch: this.fetches.get(s.name) });
    }
    await Promise.all(servers.filter((s) => s.tools !== undefined).map((s) => this.checkTools(s)));
    return { servers };
  }

  /**
   * Opens a run's side of each server: nothing connects until Claude Code asks for the tools.
   * @example const mcp = hub.openRun(plan, controller.signal); try { ... } finally { await mcp.close(); }
   */
  openRun(plan: McpPlan, signal: AbortSignal): RunMcp {
    const { toolTimeoutMs } = this.opts.config;
    const upstreams = plan.servers.map(
      (server) => new Upstream(server, { toolTimeoutMs, log: this.log, signal, onCall: this.opts.onToolCall }),
    );
    return {
      sdkServers: Object.fromEntries(upstreams.map((u) => [u.server.name, proxyServer(u, toolTimeoutMs)])),
      report: () => {
        const servers = upstreams.map((u) => u.report());
        return { servers, calls: servers.reduce((n, s) => n + s.calls, 0) };
      },
      close: async () => {
        await Promise.all(upstreams.map((u) => u.close()));
      },
    };
  }

  private async checkTools(server: ReachableServer): Promise<void> {
    const listing = await this.toolNames(server).catch((err: unknown) => {
      this.log.warn({ server: server.name, err: String(err) }, 'could not list the tools of an mcp server at admission');
      return undefined;
    });
    if (listing === undefined) return;
    const { names, cut } = listing;
    const missing = [...(server.tools ?? [])].filter((t) => !names.has(t));
    if (missing.length === 0) return;
    if (cut !== undefined) {
      // Missing from a list that was cut is not missing from the server: the run goes on, and its report says what it was offered.
      this.log.warn({ server: server.name, cut, missing }, 'named mcp tools not in the tool list read at admission, which was cut');
      return;
    }
    const offered = [...names].slice(0, LISTED).map((t) => mcpToolName(server.name, t));
    const more = names.size > LISTED ? ` and ${names.size - LISTED} more` : '';
    throw new ValidationError(
      `allowed_tools names ${missing.map((t) => mcpToolName(server.name, t)).join(', ')}, which the MCP server ${server.name} does not offer; ` +
        (names.size === 0 ? 'it offers no tools.' : `its tools: ${offered.join(', ')}${more}.`),
      { field: 'allowed_tools', known: offered },
    );
  }

  /** The server's tools a run could be offered (names that fit the model API), cached for declared servers, failures too. */
  private async toolNames(server: ReachableServer): Promise<AdmissionListing> {
    const cached = server.source === 'config' ? this.toolCache.get(server.name) : undefined;
    if (cached !== undefined && Date.now() < cached.until) {
      if (cached.listing instanceof Error) throw cached.listing;
      return cached.listing;
    }
    const remember = (listing: AdmissionListing | Error, ms: number) => {
      if (server.source === 'config') this.toolCache.set(server.name, { until: Date.now() + ms, listing });
    };
    let client;
    try {
      client = await connectServer(server, this.log);
    } catch (err) {
      remember(err instanceof Error ? err : new Error(String(err)), FAILURE_CACHE_MS);
      throw err;
    }
    try {
      const { tools, cut } = await listAllTools(client).catch((err: unknown) => {
        remember(err instanceof Error ? err : new Error(String(err)), FAILURE_CACHE_MS);
        throw err;
      });
      const names = new Set(tools.map((t) => apiToolName(t.name)).filter((t) => fitsToolName(server.name, t)));
      if (cut !== undefined) this.log.warn({ server: server.name, cut }, 'mcp tool list cut at admission');
      const listing = { names, cut };
      remember(listing, TOOLS_CACHE_MS);
      return listing;
    } finally {
      await closeClient(client);
    }
  }
}

/** What admission read of a server's tools: their names, and why the list stopped early, if it did. */
interface AdmissionListing {
  names: Set<string>;
  cut: string | undefined;
}

/** The fetch of a declared remote server: its headers, its auth, and the answer size cap. */
function declaredFetch(decl: Extract<McpServerDecl, { type: 'http' | 'sse' }>, credentials: () => AwsCredentials): FetchLike {
  let f: FetchLike = withHeaders(capped(fetch), decl.headers);
  const auth = decl.auth;
  if (auth?.type === 'aws_iam') {
    // Resolved on first use: a service that never calls the server never looks for credentials.
    const inner = f;
    let signed: FetchLike | undefined;
    f = (url, init) =>
      (signed ??= awsIamFetch(inner, { region: auth.region, service: auth.service, credentials: credentials() }))(url, init);
  } else if (auth?.type === 'oauth_client_credentials') {
    f = oauthFetch(f, new TokenSource(auth));
  }
  return f;
}
