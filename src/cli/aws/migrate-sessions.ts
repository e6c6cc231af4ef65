/**
 * `cca migrate-sessions`: brings a deployment's session records forward once (lambda/migrate.ts):
 * owner index entries for sessions created before the index, so `GET /sessions` on AWS lists them,
 * and an invocation record for each session whose latest run is only in `state.json`. Idempotent:
 * running it again writes nothing, and it never replaces what the runtime or the Lambda wrote.
 */
import { createS3Client } from '../../artifacts/factory.js';
import { loadConfig } from '../../config/index.js';
import { migrateSessions } from '../../lambda/migrate.js';
import { s3Objects } from '../../lambda/objects.js';
import type { CommandContext, CommandInput } from '../context.js';
import { EXIT, UsageError } from '../io.js';
import { plural } from '../table.js';
import { describeAwsError } from './aws-errors.js';
import { clientConfig, nonEmpty, withDefaults } from './clients.js';
import { readDeployment, resolveRegion } from './deployment.js';

/** The flags commander parsed for it (declared in commands/). */
type Flags = { storage?: string; region?: string };

/**
 * Runs `cca migrate-sessions`: 0 migrated (or nothing to do), 1 a session could not be read or
 * the bucket not listed, 2 usage (no S3 storage named).
 */
export async function runMigrateSessions({ values }: CommandInput<Flags>, ctx: CommandContext): Promise<number> {
  const { env, io } = ctx;
  const { cwd } = withDefaults(ctx);
  const deployment = readDeployment(cwd);
  const storage = values.storage ?? nonEmpty(env.CCA_STORAGE) ?? (deployment ? `s3://${deployment.bucket}` : undefined);
  if (storage === undefined || !storage.startsWith('s3://')) {
    throw new UsageError('name the bucket: --storage s3://BUCKET[/PREFIX] (or CCA_STORAGE, or run it beside deployment.json).');
  }
  const config = loadConfig({ storage }, env, undefined, cwd);
  if (config.storage.kind !== 's3') throw new UsageError(`--storage must be s3://BUCKET[/PREFIX]; got "${storage}".`);
  const { bucket, prefix } = config.storage;
  const region = resolveRegion(values.region, deployment, env);
  const { credentials } = clientConfig('s3', region, env);
  const client = ctx.clients?.s3 ?? createS3Client({ ...config.aws, region }, credentials ? { credentials } : {});
  const where = `s3://${bucket}${prefix === '' ? '' : `/${prefix}`}`;
  io.stdout(`Migrating the sessions in ${where}\n`);
  try {
    const report = await migrateSessions(s3Objects(client, bucket), prefix, {
      onSession: (sessionId, wrote) => {
        if (wrote.length > 0)
          io.stdout(`  ${sessionId}: ${wrote.map((w) => (w === 'index' ? 'owner index' : 'invocation record')).join(', ')}\n`);
      },
    });
    const failed = report.skipped.filter((s) => !s.reason.startsWith('no owner record'));
    for (const { session_id, reason } of failed) io.stderr(`cca: ${session_id}: ${reason}\n`);
    io.stdout(
      `${plural(report.sessions, 'session')}: ${report.indexed} indexed, ${plural(report.records, 'invocation record')} written, ` +
        `${report.skipped.length - failed.length} without an owner (not made through the API), ${failed.length} unreadable.\n`,
    );
    return failed.length === 0 ? EXIT.ok : EXIT.failure;
  } catch (err) {
    io.stderr(`cca: ${describeAwsError(err, `Listing ${where}`)}\n`);
    return EXIT.failure;
  } finally {
    if (ctx.clients?.s3 === undefined) client.destroy();
  }
}
