/**
 * Whether runs can be sandboxed here: bubblewrap must exist and work (it needs Linux namespaces,
 * which some containers and kernels refuse). Checked once at start-up with a real, tiny sandbox.
 */
import { execFile } from 'node:child_process';
import { findExecutable } from '../config/index.js';
import { ISOLATION_ARGS } from './bwrap.js';

/**
 * `network`: whether a sandbox can also have a network namespace of its own, which runs with an
 * egress allowlist need (some containers allow PID namespaces but not network ones).
 */
export type SandboxStatus = { kind: 'bwrap'; path: string; network: boolean } | { kind: 'off' } | { kind: 'unavailable'; reason: string };

export interface DetectOptions {
  /** Use this bwrap instead of looking for one on `searchPath`. */
  bwrapPath?: string;
  /** Where to look for `bwrap` (a PATH value). */
  searchPath?: string;
  platform?: NodeJS.Platform;
  /** How long the trial sandbox may take. */
  timeoutMs?: number;
}

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

/** What to do about a sandbox that cannot be used; shown at start-up and in every refused run. */
export const SANDBOX_UNAVAILABLE_HINT =
  'Runs are refused until bubblewrap works: install it (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap) ' +
  'and restart the service, or start it with --no-sandbox (CCA_SANDBOX=off), which lets the agent read everything the service user can.';

/**
 * Detects the sandbox for `mode` (config.sandbox).
 * @example const sandbox = await detectSandbox(config.sandbox, { searchPath: process.env.PATH })
 */
export async function detectSandbox(mode: 'bwrap' | 'off', opts: DetectOptions = {}): Promise<SandboxStatus> {
  if (mode === 'off') return { kind: 'off' };
  const platform = opts.platform ?? process.platform;
  if (platform !== 'linux') return { kind: 'unavailable', reason: `bubblewrap needs Linux; this machine runs ${platform}` };
  const bwrap = opts.bwrapPath ?? findExecutable('bwrap', opts.searchPath ?? DEFAULT_PATH);
  if (bwrap === undefined) return { kind: 'unavailable', reason: 'bwrap (bubblewrap) was not found on PATH' };
  const failure = await trySandbox(bwrap, [], opts.timeoutMs ?? 10_000);
  if (failure !== undefined) return { kind: 'unavailable', reason: `${bwrap} does not work here: ${failure}` };
  const network = (await trySandbox(bwrap, ['--unshare-net'], opts.timeoutMs ?? 10_000)) === undefined;
  return { kind: 'bwrap', path: bwrap, network };
}

/** Runs `true` in a sandbox with the same namespaces as a run; returns why it failed, if it did. */
function trySandbox(bwrap: string, extra: string[], timeoutMs: number): Promise<string | undefined> {
  const args = [...ISOLATION_ARGS, ...extra, '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--', 'true'];
  return new Promise((resolve) => {
    execFile(bwrap, args, { env: {}, timeout: timeoutMs }, (err, _stdout, stderr) => {
      if (err === null) return resolve(undefined);
      const said = String(stderr).trim().split('\n')[0];
      resolve(said || (err.killed ? `no answer within ${timeoutMs} ms` : err.message));
    });
  });
}
