/**
 * The credential broker: a run never holds the operator's model credential. Each run gets a token
 * and a base URL; its model requests come back to the service (through the run's egress proxy, or
 * a loopback listener when the run shares the host's network), which checks the token, puts the
 * real credential in and forwards them. Tokens end with their run.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { ProviderConfig } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import { brokeredEnv } from './child-env.js';
import { brokerHandler, TOKEN_PREFIX } from './forward.js';
import { RunTokens } from './tokens.js';
import type { UsageObserver } from './usage-tap.js';
import { anthropicUpstream, bedrockUpstream, staticAwsCredentials, type ModelUpstream } from './upstream.js';

/** One run's side of the broker. */
export interface BrokeredRun {
  token: string;
  /** The run's model variables when the broker is reached at `origin` (e.g. http://127.0.0.1:3128). */
  env(origin: string): Record<string, string>;
  /** Serves this run's model requests only (mounted on its egress proxy). */
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  /** Ends the token; later uses are refused. */
  close(): void;
}

export class CredentialBroker {
  readonly tokens = new RunTokens();
  private readonly upstream: ModelUpstream | undefined;
  private shared: Promise<{ server: http.Server; origin: string }> | undefined;

  /** `enabled: false` hands runs the credential itself, as before the broker: for benchmarks only. */
  constructor(
    private readonly provider: ProviderConfig,
    private readonly log: Logger,
    opts: { enabled?: boolean } = {},
  ) {
    this.upstream =
      opts.enabled === false
        ? undefined
        : provider.kind === 'anthropic'
          ? anthropicUpstream(provider)
          : provider.kind === 'bedrock'
            ? bedrockUpstream(provider, () => staticAwsCredentials(provider.env) ?? defaultProvider())
            : undefined;
  }

  /** Whether runs get tokens instead of the credential (not for Vertex AI). */
  get active(): boolean {
    return this.upstream !== undefined;
  }

  /**
   * Starts a run's side: a token, its handler and its environment; `observer` counts the usage of
   * its model answers and may refuse its next calls.
   * @example const brokered = broker.openRun(invocationId); env = brokered.env(BRIDGE_ORIGIN)
   */
  openRun(runId: string, observer?: UsageObserver): BrokeredRun {
    const upstream = this.upstream;
    if (upstream === undefined) throw new Error(`The ${this.provider.kind} provider is not brokered.`);
    const token = this.tokens.issue(runId, observer);
    const log = this.log.child({ component: 'broker', run: runId });
    return {
      token,
      env: (origin) => brokeredEnv(this.provider, `${origin}${TOKEN_PREFIX}${token}`, token),
      handler: brokerHandler({ tokens: this.tokens, upstream, log, only: token }),
      close: () => {
        const uses = this.tokens.revoke(token);
        log.info({ model_requests: uses }, 'run token ended');
      },
    };
  }

  /** The origin of the loopback listener for runs that share the host's network (started once, on first use). */
  sharedOrigin(): Promise<string> {
    const upstream = this.upstream;
    if (upstream === undefined) return Promise.reject(new Error(`The ${this.provider.kind} provider is not brokered.`));
    this.shared ??= (async () => {
      const server = http.createServer(brokerHandler({ tokens: this.tokens, upstream, log: this.log.child({ component: 'broker' }) }));
      server.requestTimeout = 0;
      // Each connection holds descriptors (and perhaps a body) in the service.
      server.maxConnections = 256;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
    })();
    return this.shared.then((s) => s.origin);
  }

  /** Stops the loopback listener. */
  async close(): Promise<void> {
    const shared = await this.shared?.catch(() => undefined);
    if (shared === undefined) return;
    shared.server.closeAllConnections();
    await new Promise<void>((resolve) => shared.server.close(() => resolve()));
  }
}
