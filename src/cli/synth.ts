/**
 * `cca synth`: writes the CloudFormation templates of the AWS deployment (and the cloud assembly
 * around them) without touching AWS; cdk-nag's AwsSolutions rules must pass.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { InfraConfigError, synthesize, type BuildAppOptions } from '../infra/index.js';
import { SYNTH_USAGE } from './help.js';
import { EXIT, usageFailure, type CliIo } from './io.js';

const SYNTH_OPTIONS = {
  api: { type: 'boolean' },
  out: { type: 'string' },
  region: { type: 'string' },
  model: { type: 'string' },
  'image-tag': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Where the command runs: the working directory (for a relative --out) and the Lambda bundle. */
export interface SynthCommandContext {
  cwd?: string;
  /** The bundled Lambda handler's directory (default: the package's dist/lambda). */
  lambdaCodeDir?: string;
}

/**
 * Runs `cca synth` and returns its exit status: 0 written, 1 synthesis failed, 2 usage.
 * @example process.exitCode = synthCommand(['--api', '--out', 'cdk.out'], process.env, processIo);
 */
export function synthCommand(args: string[], env: NodeJS.ProcessEnv, io: CliIo, ctx: SynthCommandContext = {}): number {
  let opts: BuildAppOptions;
  try {
    const { values } = parseArgs({ args, options: SYNTH_OPTIONS, strict: true, allowPositionals: false });
    if (values.help) {
      io.stdout(SYNTH_USAGE);
      return EXIT.ok;
    }
    opts = {
      api: values.api === true,
      outdir: path.resolve(ctx.cwd ?? process.cwd(), values.out ?? 'cdk.out'),
      region: values.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION),
      modelId: values.model,
      imageTag: values['image-tag'],
      lambdaCodeDir: ctx.lambdaCodeDir,
    };
  } catch (err) {
    const code = usageFailure(err, io);
    if (code === undefined) throw err;
    return code;
  }

  try {
    const { outdir, templates } = synthesize(opts);
    io.stdout(`Wrote ${templates.length} CloudFormation template${templates.length === 1 ? '' : 's'} to ${outdir}:\n`);
    for (const t of templates) io.stdout(`  ${t}\n`);
    io.stdout(`Deploy them with: npx cdk deploy --app ${outdir} --all\n`);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof InfraConfigError) {
      io.stderr(`cca: ${err.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`cca: synthesis failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failure;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
