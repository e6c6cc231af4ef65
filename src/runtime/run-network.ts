/**
 * The network of one run: its model credential (a broker token, never the operator's key) and,
 * when isolated, its egress proxy, started before Claude Code and closed after it, with the report
 * of what it refused. An isolated run has a network namespace of its own: its only way out is the
 * proxy, which refuses loopback, private and metadata addresses and, with an allowlist, every host
 * not on it; its model requests go through the same socket to the broker.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CredentialBroker, UsageObserver } from '../broker/index.js';
import { modelEndpoints, type Config } from '../config/index.js';
import {
  BRIDGE_PROXY_URL,
  egressSocketsDir,
  loopbackEndpoints,
  startEgressProxy,
  type DomainPattern,
  type EgressProxy,
} from '../egress/index.js';
import type { SandboxEgress, SandboxStatus } from '../sandbox/index.js';
import type { EgressReport } from '../schemas/responses.js';

export interface RunNetwork {
  /** The proxy's socket for the sandbox; undefined: the run shares the host's network. */
  sandbox: SandboxEgress | undefined;
  /** The model variables of the run's environment. */
  providerEnv: Record<string, string>;
  /** For the output of a run with an allowlist: the allowlist and every refused host. */
  report(): EgressReport | undefined;
  /** Ends the run's token, stops the proxy (cutting any tunnel still open) and removes its socket. */
  close(): Promise<void>;
}

/**
 * Whether a run gets a network namespace of its own: always with an allowlist (admission refused it
 * where that cannot be), otherwise when the sandbox can make one and the operator did not choose
 * the host's network.
 */
export function isIsolated(config: Pick<Config, 'runNetwork'>, sandbox: SandboxStatus, domains: DomainPattern[] | undefined): boolean {
  if (domains !== undefined) return true;
  return sandbox.kind === 'bwrap' && sandbox.network && config.runNetwork === 'isolated';
}

/**
 * Opens the network of run `runId`, allowed `domains` (undefined: every public host); `observer`
 * meters the run's model answers at the broker.
 * @example const net = await openRunNetwork({ config, broker, sandbox }, invocationId, undefined, (host, port) => log.info({ host, port }))
 */
export async function openRunNetwork(
  deps: { config: Config; broker: CredentialBroker; sandbox: SandboxStatus },
  runId: string,
  domains: DomainPattern[] | undefined,
  onDenied: (host: string, port: number) => void,
  observer?: UsageObserver,
): Promise<RunNetwork> {
  const { config, broker } = deps;
  const brokered = broker.active ? broker.openRun(runId, observer) : undefined;
  try {
    if (!isIsolated(config, deps.sandbox, domains)) {
      const providerEnv = brokered === undefined ? config.provider.env : brokered.env(await broker.sharedOrigin());
      return { sandbox: undefined, providerEnv, report: () => undefined, close: async () => brokered?.close() };
    }
    // A provider the broker does not serve (Vertex AI) is reached by the run itself.
    const endpoints = brokered === undefined ? modelEndpoints(config.provider) : [];
    const { proxy, dir } = await startProxy({
      policy: { domains, endpoints, private: config.privateHosts },
      onDenied,
      ...(brokered !== undefined ? { onOriginRequest: brokered.handler } : {}),
    });
    return {
      sandbox: { socket: proxy.socketPath, forwards: loopbackEndpoints(endpoints), restricted: domains !== undefined },
      // Inside the sandbox the bridge listens on the proxy's port: model requests go to it directly.
      providerEnv: brokered === undefined ? config.provider.env : brokered.env(BRIDGE_PROXY_URL),
      report: () => (domains === undefined ? undefined : { allowed_domains: [...domains], denied: proxy.denied() }),
      close: async () => {
        brokered?.close();
        try {
          await proxy.close();
        } finally {
          await fs.rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    brokered?.close();
    throw err;
  }
}

/** Starts a proxy on a socket in a private directory of its own. */
async function startProxy(opts: Omit<Parameters<typeof startEgressProxy>[0], 'socketPath'>): Promise<{ proxy: EgressProxy; dir: string }> {
  // A short private directory (a Unix socket path has a limit of about 100 bytes; a data dir's may
  // be longer) under one that every sandbox hides: no run reaches another run's proxy.
  const dir = await fs.mkdtemp(path.join(egressSocketsDir(), 'run-'));
  try {
    return { proxy: await startEgressProxy({ socketPath: path.join(dir, 'proxy.sock'), ...opts }), dir };
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
}
