/**
 * `cca download [PREFIX]`: the original's download_outputs.sh. Copies the files of the newest
 * invocation (or of PREFIX, or `--all`) from local storage or S3 to `--out`, keeping their layout
 * under `outputs/`, and never writing outside `--out`.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createS3Client } from '../../artifacts/factory.js';
import { decodeKeyPath, keySegments } from '../../artifacts/keys.js';
import { bytesOfName } from '../../workspace/index.js';
import { loadConfig } from '../../config/index.js';
import { formatBytes } from '../api-report.js';
import { plural } from '../table.js';
import type { CommandContext, CommandDeps, CommandInput } from '../context.js';
import { EXIT, UsageError } from '../io.js';
import { describeAwsError } from './aws-errors.js';
import { clientConfig, nonEmpty, withDefaults } from './clients.js';
import { readDeployment, resolveRegion } from './deployment.js';
import { localSource, s3Source, type DownloadSource, type StoredObject } from './download-source.js';

/** The flags commander parsed for it (declared in commands/). */
type Flags = { out?: string; all?: boolean; 'data-dir'?: string; storage?: string; region?: string };

/**
 * Runs `cca download`: 0 all copied, 1 nothing found or some files refused or failed, 2 usage.
 */
export async function runDownload({ values, positionals }: CommandInput<Flags>, ctx: CommandContext): Promise<number> {
  const { env, io } = ctx;
  const { cwd } = withDefaults(ctx);
  if (positionals.length > 1) throw new UsageError(`give one PREFIX at most; got ${positionals.length}.`);
  if (positionals.length === 1 && values.all) throw new UsageError('give a PREFIX or --all, not both.');
  const out = path.resolve(cwd, values.out ?? 'downloads');
  const wanted: { all: true } | { prefix: string | undefined } = values.all
    ? { all: true }
    : { prefix: positionals[0] === undefined ? undefined : normalizePrefix(positionals[0]) };
  const source: DownloadSource = pickSource(values, env, cwd, ctx);

  let objects: StoredObject[];
  try {
    let prefix: string;
    if ('all' in wanted) {
      prefix = 'outputs/';
    } else if (wanted.prefix !== undefined) {
      prefix = `outputs/${wanted.prefix}`;
    } else {
      const newest = (await source.folders()).sort().at(-1);
      if (newest === undefined) {
        io.stderr(`cca: nothing stored yet in ${source.where} (no outputs/ folder): run a task first.\n`);
        return EXIT.failure;
      }
      prefix = `outputs/${newest}/`;
      io.stdout(`Newest invocation: ${newest}\n`);
    }
    objects = await source.list(prefix);
    if (objects.length === 0) {
      io.stderr(`cca: no stored files under ${prefix} in ${source.where}.\n`);
      return EXIT.failure;
    }
  } catch (err) {
    io.stderr(`cca: ${describeAwsError(err, `Listing ${source.where}`)}\n`);
    return EXIT.failure;
  }

  const total = objects.reduce((sum, o) => sum + o.size, 0);
  io.stdout(`Downloading ${plural(objects.length, 'file')} (${formatBytes(total)}) from ${source.where} to ${out}\n`);
  fs.mkdirSync(out, { recursive: true });
  const root = fs.realpathSync(out);
  let copied = 0;
  let bytes = 0;
  let problems = 0;
  for (const [i, object] of objects.entries()) {
    const n = `[${i + 1}/${objects.length}]`;
    const rel = safeRelative(object.key);
    if (rel === undefined) {
      problems++;
      io.stderr(`cca: ${n} refused ${JSON.stringify(object.key)}: it would be written outside ${out}.\n`);
      continue;
    }
    try {
      await saveInside(root, rel.map(segmentBytes), await source.open(object.key));
      copied++;
      bytes += object.size;
      io.stdout(`${n} ${rel.join('/')}  ${formatBytes(object.size)}  (${formatBytes(bytes)} of ${formatBytes(total)})\n`);
    } catch (err) {
      problems++;
      io.stderr(`cca: ${n} ${object.key}: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  io.stdout(`Downloaded ${copied} of ${plural(objects.length, 'file')} (${formatBytes(bytes)}) to ${out}\n`);
  return problems === 0 ? EXIT.ok : EXIT.failure;
}

/** `outputs/20250601_x/a.txt` → its segments after `outputs/`, or undefined when unsafe ("..", "/a", "a//b", "\\"). */
export function safeRelative(key: string): string[] | undefined {
  const segments = keySegments(key);
  if (segments === undefined || segments[0] !== 'outputs' || segments.length < 2) return undefined;
  return segments.slice(1);
}

/**
 * The file name a key segment stands for: keys percent-encode "%", "\\", control characters and
 * bytes that are not UTF-8, so the file gets the very name the run gave it. A segment that is not
 * such an encoding (keys stored before it) or that would decode to a separator, "." or ".." is
 * written as it is.
 */
export function segmentBytes(segment: string): Buffer {
  const decoded = decodeKeyPath(segment);
  if (decoded === undefined) return Buffer.from(segment);
  const bytes = bytesOfName(decoded);
  const unsafe = bytes.includes(0x2f) || bytes.includes(0) || bytes.length === 0 || decoded === '.' || decoded === '..';
  return unsafe ? Buffer.from(segment) : bytes;
}

/** Writes a stream to `<root>/<rel>` (directories made one by one, never through a link), via a temp file and a rename. */
async function saveInside(root: string, rel: Buffer[], body: NodeJS.ReadableStream): Promise<void> {
  const join = (dir: Buffer, name: Buffer | string) => Buffer.concat([dir, Buffer.from('/'), Buffer.from(name)]);
  let parent = Buffer.from(root);
  for (const segment of rel.slice(0, -1)) {
    parent = join(parent, segment);
    // A directory that is a link out of --out (made before, or by someone else) is not written through.
    const stat = await fs.promises
      .lstat(parent)
      .catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
    if (stat === undefined) await fs.promises.mkdir(parent);
    else if (stat.isSymbolicLink()) throw new Error(`refused: ${parent} is a link, which leads outside ${root}`);
    else if (!stat.isDirectory()) throw new Error(`${parent} exists and is not a directory`);
  }
  const temp = join(parent, `.${randomUUID()}.partial`);
  try {
    await pipeline(body, fs.createWriteStream(temp, { flags: 'wx' }));
    await fs.promises.rename(temp, join(parent, rel.at(-1) as Buffer));
  } catch (err) {
    await fs.promises.rm(temp, { force: true });
    throw err;
  }
}

/** PREFIX as given: `20250601_180000_ab12cd34`, `outputs/2025...` or with a trailing slash. */
function normalizePrefix(raw: string): string {
  const prefix = raw.replace(/^\/+/, '').replace(/^outputs\//, '');
  if (prefix === '' || prefix.split('/').some((s) => s === '..' || s === '.') || prefix.includes('\\')) {
    throw new UsageError(`PREFIX must be an invocation folder such as 20250601_180000_ab12cd34; got "${raw}".`);
  }
  return prefix;
}

/** --storage, else CCA_STORAGE, else deployment.json's bucket, else the local data dir. */
function pickSource(
  values: { storage?: string; 'data-dir'?: string; region?: string },
  env: NodeJS.ProcessEnv,
  cwd: string,
  ctx: CommandDeps,
): DownloadSource {
  const deployment = readDeployment(cwd);
  const storage = values.storage ?? nonEmpty(env.CCA_STORAGE) ?? (deployment ? `s3://${deployment.bucket}` : undefined);
  const config = loadConfig({ 'data-dir': values['data-dir'], storage }, env, undefined, cwd);
  if (config.storage.kind === 'local') return localSource(path.join(config.dataDir, 'artifacts'));
  const region = resolveRegion(values.region, deployment, env);
  const { credentials } = clientConfig('s3', region, env);
  const client = ctx.clients?.s3 ?? createS3Client({ ...config.aws, region }, credentials ? { credentials } : {});
  return s3Source(client, config.storage.bucket, config.storage.prefix);
}
