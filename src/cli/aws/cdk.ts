/**
 * The CDK CLI as `cca deploy` and `cca destroy` drive it: the app is `dist/cli/aws/cdk-app.js`,
 * configured only through `-c key=value` context, and every run works in a temporary directory
 * so that nothing (cdk.out, a stray cdk.json) touches the user's working directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { contextArgs, type CdkAppContext } from './cdk-context.js';
import type { ProcessRunner, RunResult } from './process-runner.js';

export interface CdkOptions {
  run: ProcessRunner;
  repoRoot: string;
  /** Scratch directory of this run (cdk.out, outputs files). */
  workDir: string;
  env: NodeJS.ProcessEnv;
  /** Where the CLI's own progress goes as it comes. */
  onOutput?: (text: string) => void;
}

/** Paths of the CDK CLI and of the app it runs. */
export function cdkPaths(repoRoot: string): { cli: string; app: string } {
  return {
    cli: path.join(repoRoot, 'node_modules', '.bin', 'cdk'),
    app: path.join(repoRoot, 'dist', 'cli', 'aws', 'cdk-app.js'),
  };
}

/**
 * Runs `cdk deploy|destroy|bootstrap`, recording nothing itself: the runner decides what happens.
 * @example const cdk = new CdkCli({ run, repoRoot, workDir, env }); await cdk.deploy('my-stack', ctx);
 */
export class CdkCli {
  readonly #opts: CdkOptions;

  constructor(opts: CdkOptions) {
    this.#opts = opts;
  }

  /** `cdk deploy STACK` with outputs written to a file; returns the result and the stack's outputs. */
  async deploy(
    stack: string,
    context: CdkAppContext,
    opts: { exclusively?: boolean } = {},
  ): Promise<{ result: RunResult; outputs: Record<string, string> }> {
    const outputsFile = path.join(this.#opts.workDir, `${stack}.outputs.json`);
    const args = ['deploy', stack, ...this.#appArgs(), '--require-approval', 'never', '--outputs-file', outputsFile];
    if (opts.exclusively) args.push('--exclusively');
    const result = await this.#cdk([...args, ...contextArgs(context)], context.region);
    return { result, outputs: result.code === 0 ? readOutputsFile(outputsFile, stack) : {} };
  }

  /** `cdk destroy STACK --force`. */
  async destroy(stack: string, context: CdkAppContext): Promise<RunResult> {
    return this.#cdk(['destroy', stack, ...this.#appArgs(), '--force', ...contextArgs(context)], context.region);
  }

  /** `cdk bootstrap aws://ACCOUNT/REGION`: the toolkit stack CDK needs once per account and region. */
  async bootstrap(account: string, region: string): Promise<RunResult> {
    return this.#cdk(['bootstrap', `aws://${account}/${region}`], region);
  }

  #appArgs(): string[] {
    const { app } = cdkPaths(this.#opts.repoRoot);
    // cdk runs --app through a shell: quote the path so that spaces in the checkout's path survive.
    return ['--app', `node ${JSON.stringify(app)}`, '--output', path.join(this.#opts.workDir, 'cdk.out')];
  }

  #cdk(args: string[], region: string): Promise<RunResult> {
    const { run, repoRoot, workDir, env, onOutput } = this.#opts;
    return run(cdkPaths(repoRoot).cli, args, {
      cwd: workDir,
      env: { ...env, AWS_REGION: region, CDK_DISABLE_VERSION_CHECK: '1' },
      ...(onOutput ? { onOutput } : {}),
    });
  }
}

/**
 * True when a failed `cdk deploy` says the environment is not bootstrapped (or its bootstrap
 * stack is too old): "SSM parameter /cdk-bootstrap/hnb659fds/version not found. Has the
 * environment been bootstrapped? Please run 'cdk bootstrap'".
 */
export function needsBootstrap(result: RunResult): boolean {
  return (
    result.code !== 0 &&
    /been bootstrapped|cdk bootstrap|\/cdk-bootstrap\/|bootstrap stack version/i.test(`${result.stdout}\n${result.stderr}`)
  );
}

/** The outputs of one stack from `--outputs-file` ({"stack": {"Name": "value"}}). */
export function readOutputsFile(file: string, stack: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
  const outputs = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)[stack] : undefined;
  const result: Record<string, string> = {};
  if (typeof outputs === 'object' && outputs !== null) {
    for (const [key, value] of Object.entries(outputs)) if (typeof value === 'string') result[key] = value;
  }
  return result;
}
