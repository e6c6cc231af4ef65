/**
 * `cca synth`: writes the CloudFormation templates of the AWS deployment (and the cloud assembly
 * around them) without touching AWS; cdk-nag's AwsSolutions rules must pass.
 */
import path from 'node:path';
import { InfraConfigError, synthesize, type BuildAppOptions } from '../infra/index.js';
import type { CommandContext, CommandInput } from './context.js';
import { EXIT, UsageError } from './io.js';

/** The flags commander parsed for it (declared in commands/). */
type SynthFlags = {
  api?: boolean;
  out?: string;
  region?: string;
  model?: string;
  'image-tag'?: string;
  gateway?: boolean;
  'gateway-arn'?: string;
  'gateway-url'?: string;
};

/**
 * Runs `cca synth` and returns its exit status: 0 written, 1 synthesis failed, 2 usage.
 */
export async function runSynth({ values }: CommandInput<SynthFlags>, ctx: CommandContext): Promise<number> {
  const { env, io } = ctx;
  if (values.gateway === true && values['gateway-arn'] !== undefined) {
    throw new UsageError('--gateway creates a gateway and --gateway-arn attaches one: give one of them.');
  }
  if (values['gateway-url'] !== undefined && values['gateway-arn'] === undefined) {
    throw new UsageError('--gateway-url needs --gateway-arn: it is the MCP URL of the gateway you attach.');
  }
  const gatewayArn = values['gateway-arn'];
  const gatewayUrl = values['gateway-url'];
  const opts: BuildAppOptions = {
    api: values.api === true,
    outdir: path.resolve(ctx.cwd ?? process.cwd(), values.out ?? 'cdk.out'),
    region: values.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION),
    modelId: values.model,
    imageTag: values['image-tag'],
    lambdaCodeDir: ctx.lambdaCodeDir,
    ...(values.gateway === true ? { gateway: { mode: 'create' } } : {}),
    ...(gatewayArn === undefined
      ? {}
      : { gateway: { mode: 'attach', ref: gatewayArn, ...(gatewayUrl === undefined ? {} : { url: gatewayUrl }) } }),
  };

  try {
    const { outdir, templates } = synthesize(opts);
    io.stdout(`Wrote ${templates.length} CloudFormation template${templates.length === 1 ? '' : 's'} to ${outdir}:\n`);
    for (const t of templates) io.stdout(`  ${t}\n`);
    io.stdout(`Deploy them with: npx cdk deploy --app ${outdir} --all\n`);
    return EXIT.ok;
  } catch (err) {
    // A bad --region, --model, --image-tag or gateway is found by the CDK app: a usage mistake, reported by exitStatusOf.
    if (err instanceof InfraConfigError) throw new UsageError(err.message);
    io.stderr(`cca: synthesis failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failure;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
