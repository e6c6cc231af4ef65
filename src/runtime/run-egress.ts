/**
 * The egress of one run with an allowlist: its proxy, started before Claude Code and closed after
 * it, and the report of what it refused.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { EgressReport } from '../schemas/responses.js';
import type { ProviderConfig } from '../config/index.js';
import { EGRESS_SOCKETS_DIR, loopbackEndpoints, startEgressProxy, type DomainPattern } from '../egress/index.js';
import { modelEndpoints } from '../config/index.js';
import type { SandboxEgress } from '../sandbox/index.js';

export interface RunEgress {
  /** What the run's sandbox needs: the proxy's socket and the loopback endpoints to forward. */
  sandbox: SandboxEgress;
  /** For the output: the allowlist and every refused host. */
  report(): EgressReport;
  /** Stops the proxy (cutting any tunnel still open) and removes its socket. */
  close(): Promise<void>;
}

/**
 * Starts the proxy of a run allowed `domains` (and the model endpoint of `provider`).
 * @example const egress = await openRunEgress(['github.com'], config.provider, (host, port) => log.info({ host, port }))
 */
export async function openRunEgress(
  domains: DomainPattern[],
  provider: ProviderConfig,
  onDenied: (host: string, port: number) => void,
): Promise<RunEgress> {
  // A short private directory (a Unix socket path has a limit of about 100 bytes; a data dir's may
  // be longer) under one that every sandbox hides: no run reaches another run's proxy.
  await fs.mkdir(EGRESS_SOCKETS_DIR, { recursive: true, mode: 0o700 });
  const dir = await fs.mkdtemp(path.join(EGRESS_SOCKETS_DIR, 'run-'));
  const endpoints = modelEndpoints(provider);
  try {
    const proxy = await startEgressProxy({ socketPath: path.join(dir, 'proxy.sock'), policy: { domains, endpoints }, onDenied });
    return {
      sandbox: { socket: proxy.socketPath, forwards: loopbackEndpoints(endpoints) },
      report: () => ({ allowed_domains: [...domains], denied: proxy.denied() }),
      close: async () => {
        try {
          await proxy.close();
        } finally {
          await fs.rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
}
