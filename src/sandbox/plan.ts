/**
 * What the sandbox of one run hides and binds: decided per run, from the detection result and the
 * session's directories.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { egressSocketsDir, type Endpoint } from '../egress/index.js';
import type { SandboxStatus } from './detect.js';

/** The sandbox of one run; undefined when runs are not sandboxed (`--no-sandbox`). */
export interface SandboxRun {
  bwrapPath: string;
  home: string;
  tmp: string;
  hide: string[];
  /** The run's way out when it has a network of its own; undefined: the host's network. */
  egress?: SandboxEgress | undefined;
}

/** A run without a network of its own but this proxy (see src/egress). */
export interface SandboxEgress {
  /** The egress proxy's Unix socket on the host. */
  socket: string;
  /** Loopback endpoints (the model's, when it is local and not brokered) reachable on the same port inside. */
  forwards: Endpoint[];
  /** The run has an allowlist (some hosts everyone else reaches are refused to it). */
  restricted: boolean;
}

/**
 * The directories no run may see: the service's data dir (keys, database, signing secret, other
 * sessions, stored files), the service user's home (cloud credentials, ~/.claude, tool caches) and
 * /root. Existing directories only (bwrap cannot create a mount point on the read-only host), by real path.
 * @example hiddenPaths('/srv/cca/.cca') // ['/srv/cca/.cca', '/home/cca', '/root']
 */
export function hiddenPaths(dataDir: string, serviceHome: string = os.homedir(), extra: string[] = []): string[] {
  const dirs = [dataDir, serviceHome, '/root', ...extra]
    .map((p) => path.resolve(p))
    .filter((dir) => fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true)
    // A directory reached through a symbolic link is masked at its real place.
    .map((dir) => fs.realpathSync(dir));
  return [...new Set(dirs)];
}

/** Where the host keeps its Unix sockets (/var/run links here). */
export const HOST_SOCKETS_DIR = '/run';

/**
 * The sandbox for one run of a session, or undefined when sandboxing is off.
 * @example sandboxForRun(status, { dataDir: config.dataDir, home, tmp })
 */
export function sandboxForRun(
  status: SandboxStatus,
  dirs: { dataDir: string; home: string; tmp: string; sessionsBase?: string | undefined },
  egress?: SandboxEgress,
): SandboxRun | undefined {
  // Runs are isolated only in a sandbox: reaching this is a fault of ours.
  if (status.kind === 'off' && egress !== undefined) throw new Error('Refusing to run with a network of its own but no sandbox.');
  if (status.kind === 'off') return undefined;
  // start() refuses runs while the sandbox is unavailable: reaching this is a fault of ours.
  if (status.kind === 'unavailable') throw new Error(`Refusing to run unsandboxed: ${status.reason}`);
  // A run without a network also loses the host's Unix sockets under /run (Docker, D-Bus,
  // databases). With the network shared, /run stays: resolv.conf may point into it.
  // Every run loses sight of the egress proxies' sockets (when the service's tmp is not /tmp,
  // which is private anyway): a run must not use another run's allowlist.
  const extra = egress !== undefined ? [egressSocketsDir(), HOST_SOCKETS_DIR] : [egressSocketsDir()];
  // Sessions kept outside the data dir (CCA_SESSIONS_BASE) are as hidden as those inside it.
  if (dirs.sessionsBase !== undefined && dirs.sessionsBase !== dirs.dataDir) extra.push(dirs.sessionsBase);
  const run: SandboxRun = { bwrapPath: status.path, home: dirs.home, tmp: dirs.tmp, hide: hiddenPaths(dirs.dataDir, os.homedir(), extra) };
  if (egress !== undefined) run.egress = egress;
  return run;
}
