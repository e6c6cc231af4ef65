/**
 * Waits for a `cca serve` / `cca runtime` process to print where it listens. `until` is the text
 * the banner must have reached (serve prints its first API key before "API reference").
 * `spawnServe` starts such a process for tests of what it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The URL and the banner so far; rejects, with what the process printed, if it exits first. */
export function listening(child: ChildProcess, until: RegExp = /\n/): Promise<{ url: string; banner: string }> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1] && until.test(out.slice(match.index + match[0].length))) resolve({ url: match[1], banner: out });
    });
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`cca exited with ${code} before listening:\n${out}\n${err}`)));
  });
}

/** What `cca serve` prints last in its banner. */
export const SERVE_BANNER_END = /API reference/;

/** A `cca serve` child on a free port with a fresh data dir (its HOME too) and only PATH from outside. */
export interface ServeChild {
  child: ChildProcess;
  dataDir: string;
  /** Kills it and removes the data dir. */
  stop(): Promise<void>;
}

const CCA = path.resolve(import.meta.dirname, '../../bin/cca');

/**
 * Starts `bin/cca serve --port 0 --log-level silent` with `flags` and `env` (the banner still prints).
 * @example const serve = await spawnServe(['--no-sandbox'], process.env.PATH ?? '')
 */
export async function spawnServe(flags: string[], PATH: string, env: Record<string, string> = {}): Promise<ServeChild> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cca-serve-'));
  const child = spawn(process.execPath, [CCA, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'silent', ...flags], {
    env: { PATH, HOME: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return {
    child,
    dataDir,
    stop: async () => {
      child.kill('SIGKILL');
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
