/**
 * `deployment.json`: what `cca deploy` made, written in the current directory (as the original's
 * deploy.sh did) and read by every other AWS command.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_REGION } from '../../infra/defaults.js';
import { UsageError } from '../io.js';
import { nonEmpty } from './clients.js';

export const DEPLOYMENT_FILE = 'deployment.json';

/** The deployment record; the seed's file had the same role under other names. */
export const DeploymentInfo = z.object({
  region: z.string().min(1),
  stack: z.string().min(1),
  api_stack: z.string().min(1).optional(),
  bucket: z.string().min(1),
  repository_uri: z.string().min(1),
  runtime_arn: z.string().min(1),
  runtime_id: z.string().min(1),
  model_id: z.string().min(1),
  image_tag: z.string().min(1),
  api_endpoint: z.string().min(1).optional(),
  api_key_id: z.string().min(1).optional(),
  /** The runtime's AgentCore Gateway: one the stack created (`--gateway`) or one attached (`--gateway-arn`). */
  gateway_mode: z.enum(['created', 'attached']).optional(),
  gateway_arn: z.string().min(1).optional(),
  gateway_url: z.string().min(1).optional(),
  deployed_at: z.string().min(1),
});
export type DeploymentInfo = z.infer<typeof DeploymentInfo>;

/** Path of deployment.json in `cwd`. */
export function deploymentPath(cwd: string): string {
  return path.join(cwd, DEPLOYMENT_FILE);
}

/**
 * Reads deployment.json in `cwd`; undefined when there is none. A file that is not a deployment
 * record is a usage error that says so.
 * @example const deployment = readDeployment(process.cwd());
 */
export function readDeployment(cwd: string): DeploymentInfo | undefined {
  const file = deploymentPath(cwd);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not JSON (${(err as Error).message}); run "cca deploy" again or remove it.`);
  }
  const result = DeploymentInfo.safeParse(parsed);
  if (!result.success) {
    const problem = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new UsageError(`${file} is not a cca deployment record (${problem}); run "cca deploy" again or remove it.`);
  }
  return result.data;
}

/** Reads deployment.json or fails with what to run first. */
export function requireDeployment(cwd: string, command: string): DeploymentInfo {
  const deployment = readDeployment(cwd);
  if (deployment === undefined) {
    throw new UsageError(
      `no ${DEPLOYMENT_FILE} in ${cwd}: "${command}" needs the one "cca deploy" writes; deploy first, or run it in that directory.`,
    );
  }
  return deployment;
}

/** Writes deployment.json atomically (temp file, then rename), keys in a stable order. */
export function writeDeployment(cwd: string, info: DeploymentInfo): string {
  const file = deploymentPath(cwd);
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(DeploymentInfo.parse(info), null, 2)}\n`);
  fs.renameSync(temp, file);
  return file;
}

/** Removes deployment.json; true when there was one. */
export function removeDeployment(cwd: string): boolean {
  try {
    fs.unlinkSync(deploymentPath(cwd));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * The region: `--region`, else deployment.json's, else AWS_REGION / AWS_DEFAULT_REGION, else the
 * original sample's ap-northeast-1.
 * @example resolveRegion(undefined, undefined, {}) // 'ap-northeast-1'
 */
export function resolveRegion(flag: string | undefined, deployment: DeploymentInfo | undefined, env: NodeJS.ProcessEnv): string {
  const region = nonEmpty(flag) ?? deployment?.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? DEFAULT_REGION;
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
    throw new UsageError(`--region must be an AWS region such as ap-northeast-1; got "${region}".`);
  return region;
}
