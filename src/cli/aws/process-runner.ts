/**
 * Runs the external tools `cca deploy` drives (docker, cdk, git) without a shell: arguments are
 * passed as a list, so nothing in a tag, a path or a password is ever interpreted.
 */
import { spawn } from 'node:child_process';

export interface RunOptions {
  /** Written to the child's stdin, then stdin is closed (e.g. `docker login --password-stdin`). */
  input?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with each chunk of the child's stdout and stderr as it comes (live progress). */
  onOutput?: (text: string) => void;
}

export interface RunResult {
  /** The exit status; 127 when the program is not installed. */
  code: number;
  stdout: string;
  stderr: string;
}

/** How commands start processes; tests pass a recorder instead. */
export type ProcessRunner = (command: string, args: string[], opts?: RunOptions) => Promise<RunResult>;

/**
 * The real runner: spawns the program, collects its output, never throws for a non-zero exit.
 * @example const { code } = await spawnRunner('docker', ['buildx', 'version']);
 */
export const spawnRunner: ProcessRunner = (command, args, opts = {}) =>
  new Promise((resolve) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      opts.onOutput?.(text);
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      opts.onOutput?.(text);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      const missing = err.code === 'ENOENT';
      resolve({ code: missing ? 127 : 1, stdout, stderr: `${stderr}${missing ? `${command}: command not found` : err.message}\n` });
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    // A child that exits without reading its stdin must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });

/** The last lines of a failed tool's output, for the error message. */
export function tail(result: RunResult, lines = 20): string {
  const all = `${result.stdout}\n${result.stderr}`.split('\n').filter((l) => l.trim() !== '');
  return all.slice(-lines).join('\n');
}
