/**
 * Stand-ins for what the AWS management commands drive outside the process: a recording process
 * runner (docker, cdk and git are never started: there is no Docker engine or AWS account here),
 * a fake checkout for them to find, and an io that keeps what a command printed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CliIo } from '../../src/cli/io.js';
import type { ProcessRunner, RunOptions, RunResult } from '../../src/cli/aws/process-runner.js';

export interface RecordingIo extends CliIo {
  out: string;
  err: string;
}

/** @example const io = recordingIo(); await infoCommand([], {}, io); expect(io.out).toContain('region'); */
export function recordingIo(): RecordingIo {
  const io: RecordingIo = {
    out: '',
    err: '',
    stdout: (text) => {
      io.out += text;
    },
    stderr: (text) => {
      io.err += text;
    },
  };
  return io;
}

/** The scratch directories the commands make (`cca-deploy-XXXXXX`, ...). */
const SCRATCH = new RegExp(`${os.tmpdir().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/cca-(?:deploy-api|deploy|destroy)-[A-Za-z0-9]+`, 'g');

/** One recorded call, with the scratch directory and the checkout replaced by `<work>` and `<repo>`. */
export interface RecordedCall {
  line: string;
  command: string;
  args: string[];
  input?: string;
  cwd?: string;
}

/** How the fake answers one call: exit code and output (default: 0, no output). */
export type Script = (call: { command: string; args: string[]; opts: RunOptions }) => Partial<RunResult> | undefined;

/**
 * A runner that records every call and answers from `script`. `<repo>/node_modules/.bin/cdk` is
 * shown as `cdk`.
 */
export function recordingRunner(repoRoot: string, script: Script): { run: ProcessRunner; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const run: ProcessRunner = async (command, args, opts = {}) => {
    const clean = (s: string) => {
      let t = s.replace(SCRATCH, '<work>');
      t = t.split(repoRoot).join('<repo>');
      return t === '<repo>/node_modules/.bin/cdk' ? 'cdk' : t;
    };
    const shown = [clean(command), ...args.map(clean)];
    calls.push({
      line: shown.join(' '),
      command: clean(command),
      args: args.map(clean),
      ...(opts.input === undefined ? {} : { input: opts.input }),
      ...(opts.cwd === undefined ? {} : { cwd: clean(opts.cwd) }),
    });
    const answer = script({ command, args, opts }) ?? {};
    const result = { code: answer.code ?? 0, stdout: answer.stdout ?? '', stderr: answer.stderr ?? '' };
    opts.onOutput?.(result.stdout + result.stderr);
    return result;
  };
  return { run, calls };
}

/** A checkout with what cca deploy checks for: a Dockerfile, the CDK CLI and the built app. */
export function fakeCheckout(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-checkout-'));
  fs.writeFileSync(path.join(root, 'Dockerfile'), 'FROM scratch\n');
  fs.mkdirSync(path.join(root, 'node_modules', '.bin'), { recursive: true });
  fs.writeFileSync(path.join(root, 'node_modules', '.bin', 'cdk'), '');
  fs.mkdirSync(path.join(root, 'dist', 'cli', 'aws'), { recursive: true });
  fs.writeFileSync(path.join(root, 'dist', 'cli', 'aws', 'cdk-app.js'), '');
  return root;
}

/** The value after `flag` in an argument list. */
export function argAfter(args: string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at === -1 ? undefined : args[at + 1];
}
